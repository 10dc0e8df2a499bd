/**
 * Fetched details to stored issues: parse, map, then write one transaction per call. A detail that cannot
 * be parsed or mapped fails alone; a batch the database refuses because of one record is written again
 * record by record so that record fails alone; a database that refuses everything is fatal.
 *
 * Runs on the thread that calls it; cli/writer-thread.ts runs the same code on a worker thread, so the
 * event loop serving HTTP never stops for a write.
 */
import { describeError, SyncError } from '../errors.js';
import { parseJsonBody } from '../json-body.js';
import { stripDetail, type Exclusion } from '../privacy/exclude.js';
import { createPathCollector } from './detail-paths.js';
import type { FieldMap } from './field-map.js';
import { toIssueRecord } from './map-issue.js';
import type { DetailWriter, FetchedDetail, ItemFailure, MappedIssue, RecordSink, WriteOutcome } from './ports.js';

/**
 * The writer over `store`, on the calling thread; `map` is the field map (default: the built-in paths),
 * `exclude` what is never stored (SPEAKUP_EXCLUDE).
 */
export function createDetailWriter(store: RecordSink, map?: FieldMap, exclude?: Exclusion): DetailWriter {
  // writeDetails never throws: the answer is always a resolved promise.
  return { write: (details, runId) => Promise.resolve(writeDetails(store, details, runId, map, exclude)) };
}

/** One write, synchronously; never throws (everything ends up in the outcome). */
export function writeDetails(
  store: RecordSink,
  details: readonly FetchedDetail[],
  runId: number,
  map?: FieldMap,
  exclude?: Exclusion,
): WriteOutcome {
  const failures: ItemFailure[] = [];
  const records: MappedIssue[] = [];
  const seen = createPathCollector();
  for (const d of details) {
    try {
      const detail = parseJsonBody(d.path, d.raw);
      seen.add(detail);
      // Excluded parts leave the detail before it is mapped: no column, field row or full-text entry sees them.
      const raw = exclude && stripDetail(detail, exclude, map) ? JSON.stringify(detail) : d.raw;
      records.push(toIssueRecord(detail, d.syncedAt, d.id, raw, map));
    } catch (err) {
      failures.push(itemFailure(d.id, err));
    }
  }
  if (records.length === 0) return { stored: 0, failures };
  try {
    store.saveIssues(records, runId);
    return { stored: records.length, failures, paths: seen.take() };
  } catch (batchErr) {
    if (!store.isRecordError?.(batchErr)) return { stored: 0, failures, fatal: fatalOf(batchErr) };
    // The batch rolled back whole. Write its issues one by one so one bad record fails alone;
    // if none can be written, the database itself is the problem.
    let stored = 0;
    for (const record of records) {
      try {
        store.saveIssues([record], runId);
        stored++;
      } catch (err) {
        const id = record.issue.id;
        failures.push(
          itemFailure(
            id,
            new SyncError('DB_ERROR', `issue ${id}: could not be stored: ${describeError(err)}`, { cause: err }),
          ),
        );
      }
    }
    return stored === 0 ? { stored, failures, fatal: fatalOf(batchErr) } : { stored, failures, paths: seen.take() };
  }
}

function fatalOf(err: unknown): { code: string; message: string } {
  // The store's own errors (a full or failing disk) already name the cause and the fix.
  if (err instanceof SyncError) return { code: err.code, message: err.message };
  return { code: 'DB_ERROR', message: `writing to the database failed: ${describeError(err)}` };
}

/** A per-item failure whose message names the issue. */
export function itemFailure(id: number, err: unknown): ItemFailure {
  const code = err instanceof SyncError ? err.code : 'INTERNAL';
  let message = describeError(err);
  // Make sure a per-item message names the issue.
  if (!message.includes(`issue ${id}`) && !message.includes(`/${id}"`)) message = `issue ${id}: ${message}`;
  return { issueId: id, code, message };
}
