/**
 * Runs the detail writer (parse, map, store) on a worker thread with its own connection, so the event
 * loop that serves HTTP never stops for SQLite: writes overlap the requests in flight and use the second
 * core. The sync core sees the same DetailWriter as the in-thread one (sync/detail-writer.ts).
 */
import { startModuleWorker } from '../db/worker.js';
import { describeError, SyncError } from '../errors.js';
import { bodyText } from '../json-body.js';
import type { DetailWriter, FetchedDetail, WireDetail, WriteOutcome } from '../sync/types.js';
import type { FieldMapOverrides } from '../sync/field-map.js';
import type { WriterInit, WriterReply, WriterRequest } from './writer-worker.js';

export interface WriterThread extends DetailWriter {
  writeWire(details: readonly WireDetail[], runId: number): Promise<WriteOutcome>;
  /** Finishes the writes already asked for, closes the thread's connection and ends the thread. */
  close(): Promise<void>;
}

export interface WriterThreadOptions {
  dbPath: string;
  /** wal_autocheckpoint of the thread's connection. */
  autocheckpoint: number;
  /** Takes the writes if the thread cannot start (same code, on this thread). */
  fallback: DetailWriter;
  /** Overrides of the field map (sync/field-map.ts), compiled on the thread. */
  fieldMap?: FieldMapOverrides;
  /** SPEAKUP_EXCLUDE's entries (compiled on the thread). */
  exclude?: readonly string[];
  log: { warn(fields: Record<string, unknown>, msg: string): void };
}

/**
 * Starts the thread on a database the caller has already opened and migrated. Returns at once: the
 * thread loads while the run logs in and lists, and the first write waits for it if it must.
 */
export function startWriterThread(opts: WriterThreadOptions): WriterThread {
  const init: WriterInit = {
    dbPath: opts.dbPath,
    autocheckpoint: opts.autocheckpoint,
    ...(opts.fieldMap ? { fieldMap: opts.fieldMap } : {}),
    ...(opts.exclude && opts.exclude.length > 0 ? { exclude: opts.exclude } : {}),
  };
  // A small young generation: the thread's garbage is short-lived batches, and peak memory is a benchmark target.
  const worker = startModuleWorker(import.meta.url, './writer-worker', init, {
    resourceLimits: { maxYoungGenerationSizeMb: 8 },
  });
  const pending = new Map<number, { resolve(o: WriteOutcome): void; reject(e: unknown): void }>();
  let seq = 0;
  let broken: SyncError | undefined;
  const failAll = (err: SyncError): void => {
    broken ??= err;
    for (const p of pending.values()) p.reject(broken);
    pending.clear();
  };
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  // true: the thread is up; false: it never came up, so the fallback writes.
  const ready = new Promise<boolean>((resolve) => {
    let settled = false;
    const up = (): void => {
      settled = true;
      resolve(true);
    };
    const down = (reason: string): void => {
      if (settled) return;
      settled = true;
      opts.log.warn({ reason }, 'the writer thread did not start; writing on the main thread');
      resolve(false);
    };
    worker.once('message', (m: WriterReply) => ('error' in m ? down(m.error) : up()));
    worker.once('error', (err) => down(describeError(err)));
    void exited.then(() => down('the thread exited'));
  });
  worker.on('message', (m: WriterReply) => {
    if (!('seq' in m)) return;
    const p = pending.get(m.seq);
    pending.delete(m.seq);
    p?.resolve(m.outcome);
  });
  void ready.then((up) => {
    if (!up) return;
    worker.on('error', (err) =>
      failAll(new SyncError('DB_ERROR', `the database writer thread failed: ${err.message}`, { cause: err })),
    );
    void exited.then(() => failAll(new SyncError('DB_ERROR', 'the database writer thread stopped')));
  });
  const write = async (details: readonly WireDetail[], runId: number): Promise<WriteOutcome> => {
    if (!(await ready)) return opts.fallback.write(details.map(asText), runId);
    if (broken) throw broken;
    const id = ++seq;
    return new Promise<WriteOutcome>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      // Text is copied (structured clone); bodies still bytes move to the thread without a copy.
      worker.postMessage({ seq: id, details: [...details], runId } satisfies WriterRequest, movable(details));
    });
  };
  return {
    write,
    writeWire: write,
    async close() {
      if (await ready) {
        if (!broken) worker.postMessage({ close: true } satisfies WriterRequest);
      } else {
        await worker.terminate();
      }
      await exited;
    },
  };
}

/** `fallback` behind the WriterThread interface: the writes on this thread, nothing to close. */
export function onThisThread(fallback: DetailWriter): WriterThread {
  const write = (details: readonly WireDetail[], runId: number): Promise<WriteOutcome> =>
    fallback.write(details.map(asText), runId);
  return { write, writeWire: write, close: () => Promise.resolve() };
}

/** The buffers of bodies that own theirs whole: moved to the thread, they leave this one at once. */
function movable(details: readonly WireDetail[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const { raw } of details) {
    if (typeof raw === 'string' || !(raw.buffer instanceof ArrayBuffer)) continue;
    // A pooled buffer holds other data too: it is copied, never moved.
    if (raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength) out.add(raw.buffer);
  }
  return [...out];
}

function asText(d: WireDetail): FetchedDetail {
  return typeof d.raw === 'string' ? { ...d, raw: d.raw } : { ...d, raw: bodyText(d.raw) };
}
