/**
 * The floor of the PostgreSQL write path on this host: the CPU that the rows of N new issues cost at the
 * least, whoever writes them. The writer stores N issues of the bench's fixture (bench/fixture-details.ts)
 * into a fresh schema; the rows are copied into staging tables, the mirror's tables emptied, and the same
 * rows put back with one INSERT … SELECT per table (no client, no parameters, no history logic): the
 * server's CPU for that, read from /proc for its backend, is its floor per issue. The JSON of the issue
 * row is already jsonb in staging, so the text-to-jsonb parse every write pays is measured apart and
 * added. The client's floor is parsing and mapping the detail alone. Where the user may switch triggers
 * off, the child rows are put back once more without their foreign-key checks, to show what those cost.
 * Needs a server on this host.
 * Usage: npx tsx bench/write-floor-postgres.ts URL [issues=5000]
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import pg from 'pg';
import { createPgDetailWriter } from '../src/db/postgres/detail-writer.js';
import { openPgMirror } from '../src/db/postgres/store.js';
import { parseJsonBody } from '../src/json-body.js';
import { toIssueRecord } from '../src/sync/map-issue.js';
import type { FetchedDetail } from '../src/sync/types.js';
import { wireDetails } from './fixture-details.js';

const [url, nArg] = process.argv.slice(2);
if (!url) throw new Error('usage: npx tsx bench/write-floor-postgres.ts URL [issues]');
const N = Number(nArg ?? 5000);
const schema = `bench_floor_${process.pid}`;
const TICK_US = 10_000;

const toRecord = (d: FetchedDetail) => toIssueRecord(parseJsonBody(d.path, d.raw), d.syncedAt, d.id, d.raw);

/** Stores N new issues with the writer; returns the client's parse-and-map CPU per issue (µs). */
async function fill(texts: string[]): Promise<number> {
  const mirror = await openPgMirror({ connectionString: url!, schema });
  try {
    const writer = createPgDetailWriter(mirror, toRecord);
    const runId = await mirror.store.startRun({ trigger: 'manual', full: true, startedAt: new Date().toISOString() });
    const syncedAt = new Date().toISOString();
    const details = texts.map((raw, i) => ({ id: i + 1, raw, path: `/v1/public/issues/${i + 1}`, syncedAt }));
    for (let i = 0; i < N; i += 100) await writer.write(details.slice(i, i + 100), runId);
    const c0 = process.cpuUsage();
    for (const d of details) toRecord(d);
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / N;
  } finally {
    await mirror.close();
  }
}

/** CPU of backend `pid` so far, in µs (utime + stime from /proc, in clock ticks of 10 ms). */
function backendCpu(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

const STAGE = `CREATE UNLOGGED TABLE s_issues AS SELECT * FROM issues;
CREATE UNLOGGED TABLE s_fields AS SELECT * FROM issue_field_values;
CREATE UNLOGGED TABLE s_fts AS SELECT issue_id, summary, description, field_text FROM issues_fts;
CREATE UNLOGGED TABLE s_changes AS SELECT issue_id, run_id, field, old_value, new_value, observed_at FROM issue_changes ORDER BY id;
CREATE UNLOGGED TABLE s_sightings AS SELECT * FROM issue_sightings;
CREATE UNLOGGED TABLE s_data AS SELECT id, data::text AS data FROM issues;`;

/** Each table's rows put back from staging, in one transaction. */
const STEPS: [string, string][] = [
  ['issues (JSON already jsonb)', 'INSERT INTO issues SELECT * FROM s_issues'],
  ['field values', 'INSERT INTO issue_field_values SELECT * FROM s_fields'],
  ['full-text rows', 'INSERT INTO issues_fts (issue_id, summary, description, field_text) SELECT * FROM s_fts'],
  [
    'history (first sighting)',
    'INSERT INTO issue_changes (issue_id, run_id, field, old_value, new_value, observed_at) SELECT * FROM s_changes',
  ],
  ['sightings', 'INSERT INTO issue_sightings SELECT * FROM s_sightings'],
];

/** Parts measured alone: the tsvector of the full-text row, and the JSON text parsed into jsonb. */
const PARTS: [string, string][] = [
  [
    'of which the tsvector alone',
    `SELECT sum(length(setweight(to_tsvector('simple', coalesce(summary, '')), 'A') || setweight(to_tsvector('simple', coalesce(description, '')), 'B') || setweight(to_tsvector('simple', coalesce(field_text, '')), 'C'))) FROM s_fts`,
  ],
  ['JSON text to jsonb (issue row)', 'SELECT count(data::jsonb) FROM s_data'],
];

/** Runs `sql` on `client` and returns the backend's CPU for it, per issue (µs). */
async function cpuOf(client: pg.Client, pid: number, sql: string): Promise<number> {
  const before = backendCpu(pid);
  await client.query(sql);
  return (backendCpu(pid) - before) / N;
}

/**
 * The CPU of the foreign-key checks per issue: the child tables' rows put back again with the checks'
 * triggers off (session_replication_role, superuser only; undefined otherwise), subtracted from `children`.
 */
async function foreignKeyChecks(client: pg.Client, pid: number, children: number): Promise<number | undefined> {
  try {
    await client.query('SET session_replication_role = replica');
  } catch {
    return undefined;
  }
  try {
    await client.query('BEGIN');
    await client.query('TRUNCATE issues CASCADE');
    await client.query(STEPS[0]![1]);
    let without = 0;
    for (const [, sql] of STEPS.slice(1)) without += await cpuOf(client, pid, sql);
    return children - without;
  } finally {
    await client.query('ROLLBACK');
    await client.query('RESET session_replication_role');
  }
}

async function measureServer(): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = rows[0]!.pid;
    await client.query(`SET search_path = "${schema}"; SET jit = off`);
    await client.query(STAGE);
    let total = 0;
    let children = 0;
    await client.query('BEGIN');
    await client.query('TRUNCATE issues CASCADE');
    for (const [name, sql] of STEPS) {
      const us = await cpuOf(client, pid, sql);
      total += us;
      if (sql !== STEPS[0]![1]) children += us;
      console.log(`  ${name.padEnd(32)} ${us.toFixed(0).padStart(4)} µs`);
    }
    await client.query('COMMIT');
    const checks = await foreignKeyChecks(client, pid, children);
    if (checks !== undefined)
      console.log(`  ${'of which foreign-key checks'.padEnd(32)} ${checks.toFixed(0).padStart(4)} µs`);
    const parts = [];
    for (const [, sql] of PARTS) parts.push(await cpuOf(client, pid, sql));
    console.log(`  ${PARTS[0]![0].padEnd(32)} ${parts[0]!.toFixed(0).padStart(4)} µs`);
    console.log(`  ${PARTS[1]![0].padEnd(32)} ${parts[1]!.toFixed(0).padStart(4)} µs (added)`);
    return total + parts[1]!;
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await client.end();
  }
}

const texts = wireDetails(N, 1);
const client = await fill(texts);
console.log(`server CPU per new issue, rows put back from staging tables (${N} issues):`);
const server = await measureServer();
const cores = cpus().length;
const total = server + client;
console.log(`client CPU per issue, parse and map only: ${client.toFixed(0)} µs`);
console.log(
  `RESULT PostgreSQL write floor: server ${server.toFixed(0)} µs + client ${client.toFixed(0)} µs = ${total.toFixed(0)} µs of CPU per new issue; ${cores} cores: at most ${Math.round((cores * 1e6) / total).toLocaleString('en-US')} issues/s with every core busy`,
);
