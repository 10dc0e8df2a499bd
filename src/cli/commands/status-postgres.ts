/**
 * `status` on a PostgreSQL mirror: the same report as on SQLite (status.ts builds and renders it), read
 * in one read-only snapshot on a short-lived connection, never migrating and never taking the run lock.
 * The size is the schema's tables and indexes; there is no write-ahead log of the mirror's own.
 */
import pg from 'pg';
import type { DbConfig, PostgresDbConfig } from '../../config/types.js';
import { mirrorTypes } from '../../db/postgres/connect.js';
import { readPgDriftStatus } from '../../db/postgres/drift-status.js';
import { emptyPartialPgStreak, readPgMirrorStatus } from '../../db/postgres/status.js';
import type { DriftStatus } from '../../db/drift-status.js';
import type { MirrorStatus } from '../../db/status.js';
import { firstLine, SyncError } from '../../errors.js';
import { evaluateHealth, withPartialAlert } from '../../sync/metrics.js';
import { EXIT } from '../exit-codes.js';
import { buildReport, renderStatus, STATUS_STALE_EXIT, type StatusArgs } from './status.js';

/** Bytes of the schema's tables with their indexes and TOAST. */
async function schemaBytes(client: pg.Client, schema: string): Promise<number> {
  const { rows } = await client.query<{ bytes: number }>(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
    [schema],
  );
  return Number(rows[0]?.bytes ?? 0);
}

/** Reads the mirror's state; one-line DB_ERROR naming the redacted URL for a server or schema problem. */
async function readStatus(
  pgConfig: PostgresDbConfig,
  runs: number,
  partialAlertAfter: number,
): Promise<{ status: MirrorStatus; bytes: number; drift: DriftStatus | undefined; emptyPartials: number }> {
  const { target, schema } = pgConfig;
  const client = new pg.Client({
    connectionString: target.connectionString,
    types: mirrorTypes,
    application_name: 'speakup-sync status',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (!rowCount) {
      throw new SyncError(
        'DB_ERROR',
        `no mirror in schema "${schema}" of ${target.redacted}; run speakup-sync sync first, or check SPEAKUP_DB_SCHEMA`,
      );
    }
    const status = await readPgMirrorStatus(client, schema, runs);
    return {
      status,
      bytes: await schemaBytes(client, schema),
      drift: await readPgDriftStatus(client, schema),
      emptyPartials: await emptyPartialPgStreak(client, schema, partialAlertAfter),
    };
  } catch (err) {
    if (err instanceof SyncError) throw err;
    throw new SyncError(
      'DB_ERROR',
      `cannot connect to PostgreSQL "${target.redacted}" or read schema "${schema}": ${firstLine(err)}; check SPEAKUP_DB`,
      { cause: err },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Prints the report on stdout; on a stale mirror also one line on stderr, and returns exit code 1. */
export async function pgStatusCommand(
  config: DbConfig & { postgres: PostgresDbConfig },
  args: StatusArgs,
  now: () => Date = () => new Date(),
): Promise<number> {
  const { status, bytes, drift, emptyPartials } = await readStatus(
    config.postgres,
    args.runs ?? 5,
    config.partialAlertAfter,
  );
  const at = now();
  // The same alert as on SQLite: `partial` runs in a row that stored nothing.
  const health = withPartialAlert(
    evaluateHealth(status.lastSuccess?.finishedAt ?? undefined, args.maxAgeMs ?? config.staleAfterMs, at.getTime()),
    emptyPartials,
    config.partialAlertAfter,
  );
  const path = `${config.postgres.target.redacted} (schema ${config.postgres.schema})`;
  const report = { ...buildReport(path, { db: bytes, wal: 0 }, status, health, at), drift: drift ?? null };
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
  if (report.ok) return EXIT.OK;
  process.stderr.write(`speakup-sync: stale: ${report.reason}\n`);
  return STATUS_STALE_EXIT;
}
