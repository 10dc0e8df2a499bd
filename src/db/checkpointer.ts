/**
 * WAL checkpoints on a second thread. SQLite normally checkpoints inside the COMMIT that pushes the WAL
 * past 1000 pages: it copies the frames into the database file and fsyncs both, on the committing thread,
 * which for the sync is the event loop (a share of every issue's write, and a stall of the HTTP traffic
 * while it lasts; bench/write-path.ts measures it). Here a worker thread (checkpoint-worker.ts) with
 * its own connection runs PASSIVE checkpoints every few hundred milliseconds, which never block the
 * writer or readers (WAL readers and writers do not wait for a checkpointer). The writer's own autocheckpoint moves from 1000 to 4000 pages
 * while it runs: a PASSIVE checkpoint never finishes while commits keep coming, and only a finished one
 * lets the WAL start over, so under a non-stop stream of writes the writer still restarts the WAL itself,
 * four times less often and with almost every frame already copied (the fsyncs are what it still pays).
 *
 * Safe by construction: a checkpoint is the same operation whoever runs it; if the worker cannot start or
 * dies, the writer's autocheckpoint comes back on, so the WAL never grows without bound.
 */
import type { Worker } from 'node:worker_threads';
import type { CheckpointInit, CheckpointReply } from './checkpoint-worker.js';
import type { DatabaseHandle } from './open.js';
import { startModuleWorker } from './worker.js';

/** SQLite's default wal_autocheckpoint, restored whenever the worker is not running. */
const DEFAULT_AUTOCHECKPOINT = 1000;
/** The writer's bound on the WAL while the worker runs (64 MB with 16 KiB pages). */
export const WRITER_AUTOCHECKPOINT = 4000;
const DEFAULT_INTERVAL_MS = 200;
/** How long stop() waits for a checkpoint in progress before terminating the thread. */
const STOP_TIMEOUT_MS = 5000;

export interface Checkpointer {
  /** Stops the worker (after its current checkpoint) and turns the writer's autocheckpoint back on. */
  stop(): Promise<void>;
}

export interface CheckpointerOptions {
  intervalMs?: number;
  log?: { warn(fields: Record<string, unknown>, msg: string): void };
}

/**
 * Starts background checkpoints for `handle`'s file. In-memory databases have no WAL: a no-op there.
 * The caller must stop() it before closing the handle, so that the handle's close does the last checkpoint.
 */
export function startCheckpointer(handle: DatabaseHandle, options: CheckpointerOptions = {}): Checkpointer {
  if (handle.path === ':memory:') return { stop: async () => {} };
  const { sqlite } = handle;
  const restore = (): void => {
    if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT}`);
  };
  let worker: Worker;
  try {
    const init: CheckpointInit = { path: handle.path, intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS };
    worker = startModuleWorker(import.meta.url, './checkpoint-worker', init);
  } catch (err) {
    options.log?.warn(
      { err: (err as Error).message },
      'background checkpoints unavailable; SQLite checkpoints on commit',
    );
    return { stop: async () => {} };
  }
  // Never what keeps a finished process alive.
  worker.unref();
  sqlite.pragma(`wal_autocheckpoint = ${WRITER_AUTOCHECKPOINT}`);
  let stopping = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const fallBack = (reason: string): void => {
    restore();
    if (!stopping) options.log?.warn({ reason }, 'background checkpoints stopped; SQLite checkpoints on commit again');
  };
  worker.on('message', (m: CheckpointReply) => fallBack(m.error));
  worker.on('error', (err) => fallBack(err.message));
  void exited.then(() => {
    if (!stopping) fallBack('worker exited');
  });
  return {
    async stop() {
      if (stopping) return exited;
      stopping = true;
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
      restore();
    },
  };
}
