/**
 * The detail writer for a PostgreSQL mirror (the core's DetailWriter port): parse, map, then one
 * transaction per call. The rules are the SQLite writer's: a detail that cannot be parsed or mapped fails
 * alone; a batch refused because of one record (isPgRecordError) is written again record by record so
 * that record fails alone; a database that refuses everything makes the write fatal. It runs on the
 * calling thread: the driver is asynchronous, so the event loop is free while PostgreSQL works.
 *
 * It takes a write before the previous one is answered (`concurrent`): each call is parsed and mapped at
 * once, while PostgreSQL works on the batches before it, and written on one of `lanes` connections
 * (lanes.ts: in call order, never two batches holding a common issue at once). Answers come in call order.
 */
import { describeError, SyncError } from '../../errors.js';
import type { DetailWriter, FetchedDetail, ItemFailure, MappedIssue, WriteOutcome } from '../../sync/ports.js';
import { createLanes } from './lanes.js';
import type { PgMirror } from './store.js';

type Sink = Pick<PgMirror, 'saveIssues' | 'isRecordError'>;

/** The detail paths of a batch (schema drift), as the core's collector gives them. */
type PathSighting = NonNullable<WriteOutcome['paths']>;

/** Collects the JSON paths of parsed details: `add` one, `take` returns them and starts over. */
export interface PathCollector {
  add(detail: unknown): void;
  take(): PathSighting;
}

/**
 * Parses and maps one fetched detail (the core's mapper, passed in by the composition root so this
 * folder does not reach into the core); hands the parsed detail to `see` (schema drift); throws for a
 * detail that cannot be used.
 */
export type ToRecord = (detail: FetchedDetail, see?: (parsed: unknown) => void) => MappedIssue;

/** Batches written at once by default: two connections, one for each of a small host's cores. */
export const DEFAULT_WRITE_LANES = 2;

/**
 * The writer over a PostgreSQL mirror; with `paths`, each write reports the detail paths it stored.
 * `lanes`: batches written at once, each on its own connection.
 */
export function createPgDetailWriter(
  mirror: Sink,
  toRecord: ToRecord,
  paths?: PathCollector,
  lanes = DEFAULT_WRITE_LANES,
): DetailWriter {
  const flights = createLanes(lanes);
  let answered: Promise<unknown> = Promise.resolve();
  const see = paths && ((parsed: unknown) => paths.add(parsed));
  return {
    concurrent: true,
    write(details, runId) {
      // Mapped now, in full, so that this batch's paths are taken before the next call adds any.
      const { records, failures } = mapDetails(details, (d) => toRecord(d, see));
      const seen = paths?.take();
      const ids = records.map((r) => r.issue.id);
      const written = flights.run(ids, () => storeRecords(mirror, records, failures, runId));
      const out = written.then((o) => (seen && o.stored > 0 ? { ...o, paths: seen } : o));
      // Answers in call order: a later batch on the other lane may commit first.
      const result = answered.then(() => out);
      answered = result;
      return result;
    },
  };
}

function mapDetails(
  details: readonly FetchedDetail[],
  toRecord: (detail: FetchedDetail) => MappedIssue,
): { records: MappedIssue[]; failures: ItemFailure[] } {
  const failures: ItemFailure[] = [];
  const records: MappedIssue[] = [];
  for (const d of details) {
    try {
      records.push(toRecord(d));
    } catch (err) {
      failures.push(itemFailure(d.id, err));
    }
  }
  return { records, failures };
}

/** One write of mapped records; never throws (everything ends up in the outcome). */
async function storeRecords(
  mirror: Sink,
  records: readonly MappedIssue[],
  failures: ItemFailure[],
  runId: number,
): Promise<WriteOutcome> {
  if (records.length === 0) return { stored: 0, failures };
  try {
    await mirror.saveIssues(records, runId);
    return { stored: records.length, failures };
  } catch (batchErr) {
    if (!mirror.isRecordError(batchErr)) return { stored: 0, failures, fatal: fatalOf(batchErr) };
    // The batch rolled back whole: write its issues one by one so one bad record fails alone.
    let stored = 0;
    for (const record of records) {
      try {
        await mirror.saveIssues([record], runId);
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
    return stored === 0 ? { stored, failures, fatal: fatalOf(batchErr) } : { stored, failures };
  }
}

function fatalOf(err: unknown): { code: string; message: string } {
  return { code: 'DB_ERROR', message: `writing to the database failed: ${describeError(err)}` };
}

function itemFailure(id: number, err: unknown): ItemFailure {
  const code = err instanceof SyncError ? err.code : 'INTERNAL';
  const message = describeError(err);
  return {
    issueId: id,
    code,
    message: message.includes(`issue ${id}`) || message.includes(`/${id}"`) ? message : `issue ${id}: ${message}`,
  };
}
