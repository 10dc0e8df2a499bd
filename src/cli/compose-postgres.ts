/**
 * The composition of a PostgreSQL mirror (SPEAKUP_DB is a postgres:// URL): the store, run log, run lock
 * and detail writer of src/db/postgres, behind the same Mirror the SQLite side gives the commands.
 * The detail writer maps on this thread (the driver is asynchronous: the event loop stays free while
 * PostgreSQL works), with the same field map and exclusions as the SQLite writer thread.
 */
import type { Logger } from 'pino';
import type { Config, PostgresDbConfig } from '../config/types.js';
import { createPgDetailWriter } from '../db/postgres/detail-writer.js';
import { countPgIssues, emptyPartialPgStreak, lastSuccessfulPgRun } from '../db/postgres/status.js';
import { openPgMirror } from '../db/postgres/store.js';
import { parseJsonBody } from '../json-body.js';
import { compileExclusion, stripDetail } from '../privacy/exclude.js';
import { createPathCollector } from '../sync/detail-paths.js';
import { toIssueRecord } from '../sync/map-issue.js';
import type { FetchedDetail, MappedIssue } from '../sync/ports.js';
import type { Mirror } from './compose.js';

/** Parse, strip what SPEAKUP_EXCLUDE names, map: what the SQLite writer does before it stores. */
function recordMapper(config: Config): (d: FetchedDetail, see?: (parsed: unknown) => void) => MappedIssue {
  const exclude = compileExclusion(config.privacy.exclude);
  return (d, see) => {
    const detail = parseJsonBody(d.path, d.raw);
    // Schema drift sees the detail as SpeakUp sent it (names only), as on SQLite.
    see?.(detail);
    const raw = exclude && stripDetail(detail, exclude, config.fieldMap) ? JSON.stringify(detail) : d.raw;
    return toIssueRecord(detail, d.syncedAt, d.id, raw, config.fieldMap);
  };
}

/** Connects to and migrates the mirror schema; errors name the redacted URL, never the password. */
export async function openPgRunMirror(config: Config, pg: PostgresDbConfig, log: Logger): Promise<Mirror> {
  const mirror = await openPgMirror({ connectionString: pg.target.connectionString, schema: pg.schema });
  log.debug({ db: pg.target.redacted, schema: pg.schema }, 'PostgreSQL mirror open');
  const writer = createPgDetailWriter(mirror, recordMapper(config), createPathCollector());
  return {
    store: mirror.store,
    lock: mirror.lock,
    withRunThreads: (fn) => fn(writer),
    countIssues: () => countPgIssues(mirror.pool, pg.schema),
    lastSuccessAt: async () => (await lastSuccessfulPgRun(mirror.pool, pg.schema))?.finishedAt ?? undefined,
    emptyPartialRuns: (limit) => emptyPartialPgStreak(mirror.pool, pg.schema, limit),
    close: () => mirror.close(),
  };
}
