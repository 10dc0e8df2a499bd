/**
 * The PostgreSQL write path alone, as a sync runs it: detail bodies as JSON text, a batch at a time,
 * parsed and mapped, then written by the PostgreSQL detail writer (issues, ~10 field values each, the
 * full-text row, sightings and change history, one transaction per batch) into a fresh schema over a
 * loopback connection. First every issue new, then every issue changed (history rows written). Up to
 * four writes are asked for before the first is answered, as the sync's write queue does, and the writer
 * writes up to `lanes` of them at once (each on its own connection). Where the server runs on this host,
 * its CPU for each pass is read from /proc for the backends of the writer's pool, and the CPU per issue
 * of both sides gives the rate that a host with every core busy could reach at most.
 * Usage: npx tsx bench/write-path-postgres.ts URL [issues=20000] [batch=100] [lanes=2]
 */
import { cpus } from 'node:os';
import { parseJsonBody } from '../src/json-body.js';
import { createPgDetailWriter, DEFAULT_WRITE_LANES } from '../src/db/postgres/detail-writer.js';
import { openPgMirror } from '../src/db/postgres/store.js';
import { toIssueRecord } from '../src/sync/map-issue.js';
import type { FetchedDetail } from '../src/sync/types.js';
import { wireDetails } from './fixture-details.js';
import { readProc } from './proc.js';

const [url, nArg, batchArg, lanesArg] = process.argv.slice(2);
if (!url) throw new Error('usage: npx tsx bench/write-path-postgres.ts URL [issues] [batch] [lanes]');
const N = Number(nArg ?? 20_000);
const BATCH = Number(batchArg ?? 100);
const LANES = Number(lanesArg ?? DEFAULT_WRITE_LANES);
/** Writes asked for and not answered, at most: the sync's write queue (MAX_PENDING_WRITES in run-sync.ts). */
const PENDING = 4;
const schema = `bench_w_${process.pid}`;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** CPU (ms) of the server backends of this bench's pool, by pid; empty where the server is not on this host. */
async function backendCpu(pool: {
  query: (sql: string) => Promise<{ rows: { pid: number }[] }>;
}): Promise<Map<number, number>> {
  const { rows } = await pool.query(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'speakup-sync'`,
  );
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    const stat = readProc(pid);
    if (stat) out.set(pid, stat.cpuMs);
  }
  return out;
}

/** Server CPU per issue (µs) between two readings; backends that started in between count from zero. */
function serverUs(before: Map<number, number>, after: Map<number, number>, n: number): number | undefined {
  if (after.size === 0) return undefined;
  let ms = 0;
  for (const [pid, cpu] of after) ms += cpu - (before.get(pid) ?? 0);
  return (ms * 1000) / n;
}

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
    const s0 = await backendCpu(mirror.pool);
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
    const server = serverUs(s0, await backendCpu(mirror.pool), N);
    const client = (cpu.user + cpu.system) / N;
    rates.push(N / s);
    console.log(
      `${label.padEnd(16)} ${N} in ${s.toFixed(2)} s = ${fmt(N / s)} issues/s wall (this process: ${fmt(1e6 / client)} /s per CPU-second)`,
    );
    if (server !== undefined) {
      const perIssue = server + client;
      const cores = cpus().length;
      console.log(
        `${''.padEnd(16)} CPU per issue: server ${server.toFixed(0)} µs + this process ${client.toFixed(0)} µs; every core busy: at most ${fmt((cores * 1e6) / perIssue)} issues/s on ${cores} cores; 5,000 issues/s takes ${((5000 * perIssue) / 1e6).toFixed(1)} cores`,
      );
    }
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
