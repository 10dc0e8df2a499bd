/**
 * The writer thread's side (started by writer-thread.ts through db/worker.ts): its own connection to the
 * mirror, the sync core's detail writer on it, one message in and one answer out per write.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createIssueStore } from '../db/issue-store.js';
import { openDatabase } from '../db/open.js';
import { describeError } from '../errors.js';
import { compileExclusion } from '../privacy/exclude.js';
import { writeDetails } from '../sync/detail-writer.js';
import { createFieldMap, type FieldMapOverrides } from '../sync/field-map.js';
import { bodyText } from '../json-body.js';
import type { WireDetail } from '../sync/types.js';

export interface WriterInit {
  dbPath: string;
  /** wal_autocheckpoint of this connection (the main thread's checkpointer sets it there). */
  autocheckpoint: number;
  /** The field map's overrides (plain data crosses the thread boundary; accessors are compiled here). */
  fieldMap?: FieldMapOverrides;
  /** SPEAKUP_EXCLUDE's entries, compiled here. */
  exclude?: readonly string[];
}
export type WriterRequest = { seq: number; details: WireDetail[]; runId: number } | { close: true };
export type WriterReply =
  { ready: true } | { error: string } | { seq: number; outcome: ReturnType<typeof writeDetails> };

if (!parentPort) throw new Error('writer-worker.ts runs only as a worker thread');
const port = parentPort;
const init = workerData as WriterInit;
const reply = (m: WriterReply): void => port.postMessage(m);
try {
  const handle = openDatabase(init.dbPath, { mustExist: true });
  handle.sqlite.pragma(`wal_autocheckpoint = ${init.autocheckpoint}`);
  const store = createIssueStore(handle);
  const map = createFieldMap(init.fieldMap ?? {});
  const exclude = compileExclusion(init.exclude ?? []);
  port.on('message', (m: WriterRequest) => {
    if ('close' in m) {
      port.close();
      handle.close();
      return;
    }
    // Bodies that came as bytes are decoded here, where they are stored: the fetching thread never held them as text.
    const details = m.details.map((d) =>
      typeof d.raw === 'string' ? { ...d, raw: d.raw } : { ...d, raw: bodyText(d.raw) },
    );
    m.details.length = 0;
    reply({ seq: m.seq, outcome: writeDetails(store, details, m.runId, map, exclude) });
  });
  reply({ ready: true });
} catch (err) {
  reply({ error: describeError(err) });
  port.close();
}
