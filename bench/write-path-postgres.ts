/**
 * The PostgreSQL write path alone, as a sync runs it: detail bodies as JSON text, a batch at a time,
 * parsed and mapped, then written by the PostgreSQL detail writer (issues, ~10 field values each, the
 * full-text row, sightings and change history, one transaction per batch) into a fresh schema over a
 * loopback connection. First every issue new, then every issue changed (history rows written). Up to
 * four writes are asked for before the first is answered, as the sync's write queue does, and the writer
 * writes up to `lanes` of them at once (each on its own connection).
 * Usage: npx tsx bench/write-path-postgres.ts URL [issues=20000] [batch=100] [lanes=2]
 */
import { parseJsonBody } from '../src/json-body.js';
import { createPgDetailWriter, DEFAULT_WRITE_LANES } from '../src/db/postgres/detail-writer.js';
import { openPgMirror } from '../src/db/postgres/store.js';
import { toIssueRecord } from '../src/sync/map-issue.js';
import type { FetchedDetail } from '../src/sync/types.js';
import { wireDetails } from './fixture-details.js';

const [url, nArg, batchArg, lanesArg] = process.argv.slice(2);
if (!url) throw new Error('usage: npx tsx bench/write-path-postgres.ts URL [issues] [batch] [lanes]');
const N = Number(nArg ?? 20_000);
const BATCH = Number(batchArg ?? 100);
const LANES = Number(lanesArg ?? DEFAULT_WRITE_LANES);
/** Writes asked for and not answered, at most: the sync's write queue (MAX_PENDING_WRITES in run-sync.ts). */
const PENDING = 4;
const schema = `bench_w_${process.pid}`;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

const mirror = await openPgMirror({ connectionString: url, schema });
try {
  const writer = createPgDetailWriter(
    mirror,
    (d: FetchedDetail) => toIssueRecord(parseJsonBody(d.path, d.raw), d.syncedAt, d.id, d.raw),
    undefined,
    LANES,
  );
  const runId = await mirror.store.startRun({ trigger: 'manual', full: true, startedAt: new Date().toISOString() });
  const rates: number[] = [];
  for (const [label, version] of [
    ['new issues', 1],
    ['changed issues', 2],
  ] as const) {
    const texts = wireDetails(N, version);
    const syncedAt = new Date().toISOString();
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < N; i += BATCH) {
      const batch = texts
        .slice(i, i + BATCH)
        .map((raw, k) => ({ id: i + k + 1, raw, path: `/v1/public/issues/${i + k + 1}`, syncedAt }));
      if (pending.length >= PENDING) await pending.shift();
      pending.push(
        writer.write(batch, runId).then((out) => {
          if (out.stored !== batch.length) throw new Error(`${label}: ${JSON.stringify(out).slice(0, 300)}`);
        }),
      );
    }
    await Promise.all(pending);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(c0);
    rates.push(N / s);
    console.log(
      `${label.padEnd(16)} ${N} in ${s.toFixed(2)} s = ${fmt(N / s)} issues/s wall (this process: ${fmt(N / ((cpu.user + cpu.system) / 1e6))} /s per CPU-second)`,
    );
  }
  const { rows } = await mirror.pool.query<{ fields: number; changes: number; fts: number }>(
    `SELECT (SELECT count(*) FROM "${schema}".issue_field_values)::int AS fields, (SELECT count(*) FROM "${schema}".issue_changes)::int AS changes, (SELECT count(*) FROM "${schema}".issues_fts)::int AS fts`,
  );
  console.log(
    `rows: ${N} issues, ${rows[0]!.fields} field values, ${rows[0]!.fts} full-text rows, ${rows[0]!.changes} changes`,
  );
  console.log(
    `RESULT PostgreSQL write path: ${fmt(Math.min(...rates))} issues/s wall (slower of insert/update, batch ${BATCH}, ${LANES} lanes)`,
  );
} finally {
  await mirror.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await mirror.close();
}
