/**
 * The checkpointer thread's side (started by checkpointer.ts): its own connection to the file, a PASSIVE
 * checkpoint every `intervalMs`, one `{ error }` message if it has to give up, and it ends on any message.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { firstLine } from '../errors.js';

export interface CheckpointInit {
  path: string;
  intervalMs: number;
}
export interface CheckpointReply {
  error: string;
}

/** Consecutive failures (other than BUSY) after which the thread gives up and the writer checkpoints again. */
const MAX_FAILURES = 3;

if (!parentPort) throw new Error('checkpoint-worker.ts runs only as a worker thread');
const port = parentPort;
const init = workerData as CheckpointInit;

function giveUp(err: unknown): never {
  port.postMessage({ error: firstLine(err) } satisfies CheckpointReply);
  process.exit(0);
}

function open(): Database.Database {
  try {
    // No busy wait: a checkpoint that cannot run now simply runs on the next tick.
    const conn = new Database(init.path, { fileMustExist: true, timeout: 0 });
    conn.pragma('busy_timeout = 0');
    return conn;
  } catch (err) {
    return giveUp(err);
  }
}

const db = open();
let failures = 0;
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    failures = 0;
  } catch (err) {
    // BUSY: another checkpoint is running (the writer closing, a BI tool); try again next tick.
    if (/^SQLITE_BUSY/.test(String((err as { code?: unknown }).code)) || ++failures < MAX_FAILURES) return;
    clearInterval(timer);
    db.close();
    giveUp(err);
  }
}, init.intervalMs);
port.on('message', () => {
  clearInterval(timer);
  db.close();
  process.exit(0);
});
