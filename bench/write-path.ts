/**
 * Measures the database write path as the writer thread runs it: detail bodies arrive as JSON text (flat
 * strings, as the HTTP client decodes them), a batch at a time; each batch is parsed and mapped
 * (writeDetails), then saveIssues writes it with ~10 field values per issue, FTS and change tracking in one
 * BEGIN IMMEDIATE transaction, with WAL checkpoints on a worker thread (db/checkpointer.ts).
 *
 * Also prints the schema's floor: only the three rows every new issue needs (the issue, its field values, its
 * FTS row) written by bare positional statements, with no mapping, no history, no sightings and none of the
 * store's logic. A store that also keeps history cannot write faster than that on this machine and schema.
 * Prints wall-clock and per-CPU-second rates: on a shared machine other load skews the wall figure, and
 * saveIssues' ratios to the floor. Changed issues are edited as people edit them: the status and one of the
 * ten fields (half of them indexed text); "rewritten" issues change every field and the whole text.
 * Usage: npx tsx bench/write-path.ts [issues=20000] [batch=100]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { getTableColumns } from 'drizzle-orm';
import { startCheckpointer } from '../src/db/checkpointer.js';
import { createIssueStore, type IssueStore, type MappedIssue } from '../src/db/issue-store.js';
import { openDatabase } from '../src/db/open.js';
import { issues } from '../src/db/schema.js';
import { writeDetails } from '../src/sync/detail-writer.js';
import { toIssueRecord } from '../src/sync/map-issue.js';
import type { FetchedDetail } from '../src/sync/types.js';
import { wireDetails } from './fixture-details.js';

const N = Number(process.argv[2] ?? 20_000);
const BATCH = Number(process.argv[3] ?? 100);

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(8);

interface Rate {
  wall: number;
  cpu: number;
}

/** Accumulates the wall and CPU time of the timed parts of a phase. */
class Meter {
  private ns = 0n;
  private cpuUs = 0;
  time<T>(fn: () => T): T {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    try {
      return fn();
    } finally {
      this.ns += process.hrtime.bigint() - t0;
      const c = process.cpuUsage(c0);
      this.cpuUs += c.user + c.system;
    }
  }
  /** Prints and returns the rates of `count` items over the timed parts. */
  report(label: string, count: number): Rate {
    const s = Number(this.ns) / 1e9;
    const cpu = this.cpuUs / 1e6;
    console.log(
      `${label.padEnd(50)} ${String(count).padStart(6)} in ${s.toFixed(2).padStart(5)} s = ${fmt(count / s)} /s wall, ${fmt(count / cpu)} /s per CPU-second`,
    );
    return { wall: count / s, cpu: count / cpu };
  }
}

const wire = (version: number): string[] => wireDetails(N, version);

/** `texts` after a typical edit of each issue: a new updatedAt, another status and one field changed. */
function edited(texts: readonly string[]): string[] {
  return texts.map((text, i) => {
    const d = JSON.parse(text) as { updatedAt: string; status: string; forms: { fields: { value: unknown }[] }[] };
    d.updatedAt = new Date(Date.parse(d.updatedAt) + 3_600_000).toISOString();
    d.status = d.status === 'closed' ? 'open' : 'closed';
    const field = d.forms.flatMap((f) => f.fields)[i % 10]!;
    const v = field.value;
    field.value =
      typeof v === 'number'
        ? v + 1
        : typeof v === 'boolean'
          ? !v
          : Array.isArray(v)
            ? [...(v as unknown[]), 'Legal']
            : /^\d{4}-/.test(String(v))
              ? '2025-01-02'
              : `${String(v)} (updated)`;
    return Buffer.from(JSON.stringify(d)).toString('utf8');
  });
}
const syncedAt = new Date().toISOString();
const batchOf = (texts: readonly string[], from: number): FetchedDetail[] =>
  texts
    .slice(from, from + BATCH)
    .map((raw, k) => ({ id: from + k + 1, raw, path: `/v1/public/issues/${from + k + 1}`, syncedAt }));
const mapBatch = (texts: readonly string[], from: number): MappedIssue[] =>
  batchOf(texts, from).map((d) => toIssueRecord(JSON.parse(d.raw), d.syncedAt, d.id, d.raw));

/** Writes all `texts` through writeDetails; returns the saveIssues rate and the whole writer's rate. */
function writerPath(label: string, store: IssueStore, runId: number, texts: readonly string[]): Rate {
  const save = new Meter();
  const whole = new Meter();
  const timedStore = {
    saveIssues: (records: readonly MappedIssue[], id: number) => save.time(() => store.saveIssues(records, id)),
  };
  for (let i = 0; i < N; i += BATCH) {
    const batch = batchOf(texts, i);
    const outcome = whole.time(() => writeDetails(timedStore, batch, runId));
    if (outcome.stored !== batch.length) throw new Error(`${label}: ${JSON.stringify(outcome).slice(0, 300)}`);
  }
  whole.report(`writer: parse + map + saveIssues, ${label}`, N);
  return save.report(`saveIssues alone, ${label} (batch ${BATCH})`, N);
}

/**
 * The issue, field value and FTS rows of new issues through bare positional statements, mapped outside the
 * timed part: what SQLite itself costs per issue before history and sightings.
 */
function floor(sqlite: Database.Database, texts: readonly string[]): Rate {
  // The mapper's columns, named by the schema (the store adds first_seen_at and deleted_at).
  const mapped = Object.entries(getTableColumns(issues)).filter(
    ([key]) => key !== 'firstSeenAt' && key !== 'deletedAt',
  );
  const keys = mapped.map(([key]) => key);
  const cols = mapped.map(([, column]) => column.name);
  const insertIssue = sqlite.prepare(
    `INSERT INTO issues (${cols.join(', ')}, first_seen_at) VALUES (${cols.map(() => '?').join(', ')}, ?)`,
  );
  const insertField = sqlite.prepare('INSERT INTO issue_field_values VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insertFts = sqlite.prepare(
    'INSERT INTO issues_fts (rowid, summary, description, field_text) VALUES (?, ?, ?, ?)',
  );
  const begin = sqlite.prepare('BEGIN IMMEDIATE');
  const commit = sqlite.prepare('COMMIT');
  const meter = new Meter();
  for (let i = 0; i < N; i += BATCH) {
    const rows = mapBatch(texts, i).map(({ issue, fields, fts }) => ({
      issue: [...keys.map((k) => (issue as unknown as Record<string, unknown>)[k]), issue.syncedAt],
      fields: fields.map((f) => [
        f.issueId,
        f.position,
        f.formId,
        f.formName,
        f.fieldId,
        f.label,
        f.type,
        f.valueText,
        f.valueNumber,
        f.valueJson,
      ]),
      fts: [issue.id, fts.summary, fts.description, fts.fieldText],
    }));
    meter.time(() => {
      begin.run();
      for (const r of rows) {
        insertIssue.run(r.issue);
        for (const f of r.fields) insertField.run(f);
        insertFts.run(r.fts);
      }
      commit.run();
    });
  }
  return meter.report(`floor: issue + fields + FTS rows, bare statements`, N);
}

const dir = mkdtempSync(join(tmpdir(), 'speakup-bench-'));
const handle = openDatabase(join(dir, 'bench.db'));
const store = createIssueStore(handle);
const checkpointer = startCheckpointer(handle);
try {
  const runId = store.startRun({ trigger: 'manual', full: true, startedAt: new Date().toISOString() });
  const v1 = wire(1);
  const insertRate = writerPath('new issues', store, runId, v1);
  const updateRate = writerPath('changed issues (status + 1 field)', store, runId, edited(v1));
  const rewriteRate = writerPath('rewritten issues (every field)', store, runId, wire(2));
  const ids = Array.from({ length: N }, (_, i) => i + 1);
  const run2 = store.startRun({ trigger: 'manual', full: false, startedAt: new Date().toISOString() });
  const walBefore = statSync(join(dir, 'bench.db-wal')).size;
  // Measure what one listing writes: an empty WAL, no checkpoint in between.
  await checkpointer.stop();
  handle.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  handle.sqlite.pragma('wal_autocheckpoint = 0');
  const listing = new Meter();
  for (let i = 0; i < N; i += 500) {
    const page = ids.slice(i, i + 500);
    listing.time(() => {
      store.getStates(page);
      store.markListed(page, run2, new Date().toISOString());
    });
  }
  listing.report('getStates + markListed (pages of 500)', N);
  const walAfter = statSync(join(dir, 'bench.db-wal')).size;
  handle.sqlite.pragma('wal_autocheckpoint = 1000');
  const fields = handle.sqlite.prepare('SELECT count(*) AS n FROM issue_field_values').get() as { n: number };
  const changes = handle.sqlite.prepare('SELECT count(*) AS n FROM issue_changes').get() as { n: number };
  console.log(
    `rows: ${N} issues, ${fields.n} field values, ${changes.n} changes; db ${(statSync(join(dir, 'bench.db')).size / 1e6).toFixed(1)} MB; WAL after writes ${(walBefore / 1e6).toFixed(1)} MB; one listing of all issues writes ${(walAfter / 1e6).toFixed(1)} MB of WAL (${Math.round(walAfter / N)} bytes per issue)`,
  );

  // The floor, into a fresh file of the same schema, with its own checkpointer.
  const floorHandle = openDatabase(join(dir, 'floor.db'));
  const floorCheckpointer = startCheckpointer(floorHandle);
  let floorRate: Rate;
  try {
    floorRate = floor(floorHandle.sqlite, v1);
  } finally {
    await floorCheckpointer.stop();
    floorHandle.close();
  }
  const slower = (k: keyof Rate): string => fmt(Math.min(insertRate[k], updateRate[k])).trim();
  const ratio = (r: Rate): string =>
    `${(r.wall / floorRate.wall).toFixed(2)} wall, ${(r.cpu / floorRate.cpu).toFixed(2)} per CPU-second`;
  console.log(
    `RESULT saveIssues: ${slower('wall')} issues/s wall, ${slower('cpu')} issues/s per CPU-second (slower of insert/update); schema floor ${fmt(floorRate.wall).trim()} issues/s wall, ${fmt(floorRate.cpu).trim()} per CPU-second; of the floor per CPU-second: new ${(insertRate.cpu / floorRate.cpu).toFixed(2)}, changed ${(updateRate.cpu / floorRate.cpu).toFixed(2)}`,
  );
  console.log(`RATIO saveIssues / floor: new issues ${ratio(insertRate)} (target >= 0.85)`);
  console.log(`RATIO saveIssues / floor: changed issues ${ratio(updateRate)} (target >= 0.8)`);
  console.log(`RATIO saveIssues / floor: rewritten issues ${ratio(rewriteRate)} (no target)`);
} finally {
  await checkpointer.stop();
  handle.close();
  rmSync(dir, { recursive: true, force: true });
}
