/**
 * Measures the database write path: mapped issues per second into a temp file, with ~10 field values
 * each, FTS and change tracking, in batched BEGIN IMMEDIATE transactions, with WAL checkpoints on a worker
 * thread (db/checkpointer.ts), as the sync writes them.
 * Prints wall-clock and per-CPU-second rates: on a shared machine other load skews the wall figure.
 * Usage: npx tsx scripts/bench-write.ts [issues=20000] [batch=100]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCheckpointer } from '../src/db/checkpointer.js';
import { createIssueStore } from '../src/db/issue-store.js';
import { openDatabase } from '../src/db/open.js';
import { toIssueRecord, type MappedIssue } from '../src/sync/map-issue.js';

const N = Number(process.argv[2] ?? 20_000);
const BATCH = Number(process.argv[3] ?? 100);

// Deterministic pseudo-random text, so runs are comparable.
let seed = 42;
const rand = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const WORDS = 'the report concerns a manager who asked staff to change invoices before the audit and several colleagues saw payments to a supplier without contract fraud harassment safety bribery privacy müller zürich café déjà'.split(' ');
const words = (n: number): string => Array.from({ length: n }, () => pick(WORDS)).join(' ');
const STATUSES = ['new', 'open', 'in_progress', 'waiting', 'closed'] as const;
const iso = (ms: number): string => new Date(ms).toISOString();

/** A detail shaped like the emulator's: 2 forms, 10 fields of every type, ~700 chars of prose. */
function detail(id: number, version: number): Record<string, unknown> {
  const t = Date.UTC(2024, 0, 1) + id * 60_000;
  return {
    id, customId: `SUP-2024-${id}`, createdAt: iso(t), updatedAt: iso(t + version * 3_600_000),
    summary: words(8), description: words(110), status: pick(STATUSES), issueType: pick(['Case', 'Task']),
    channel: pick(['web', 'phone', 'letter']), domain: { id: 1 + (id % 7), name: `Domain ${id % 7}` },
    assignee: { id: 100 + (id % 13), name: `Case Handler ${id % 13}`, email: `h${id % 13}@example.com` },
    labels: [pick(['urgent', 'legal', 'hr']), pick(['finance', 'it'])],
    receivedAt: iso(t), acknowledgedAt: iso(t + 86_400_000), dueAt: iso(t + 30 * 86_400_000), closedAt: null,
    forms: [
      { id: 1, name: 'Intake', fields: [
        { id: 11, label: 'What happened?', type: 'text', value: words(40) },
        { id: 12, label: 'Where?', type: 'text', value: words(4) },
        { id: 13, label: 'Amount', type: 'number', value: Math.round(rand() * 100_000) / 100 },
        { id: 14, label: 'Date of incident', type: 'date', value: '2024-03-15' },
        { id: 15, label: 'Category', type: 'select', value: pick(['Fraud', 'Harassment', 'Safety']) },
      ] },
      { id: 2, name: 'Follow-up', fields: [
        { id: 21, label: 'Involved', type: 'multiselect', value: ['Finance', 'HR'] },
        { id: 22, label: 'Anonymous', type: 'boolean', value: rand() < 0.5 },
        { id: 23, label: 'Witnesses', type: 'number', value: Math.floor(rand() * 5) },
        { id: 24, label: 'Reported at', type: 'date', value: iso(t) },
        { id: 25, label: 'Notes', type: 'text', value: words(20) },
      ] },
    ],
  };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(8);

interface Rate { wall: number; cpu: number }

/** Runs `fn`, prints and returns its wall-clock and per-CPU-second rates. */
function timed(label: string, count: number, fn: () => void): Rate {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  console.log(`${label.padEnd(40)} ${String(count).padStart(6)} in ${s.toFixed(2).padStart(5)} s = ${fmt(count / s)} /s wall, ${fmt(count / cpu)} /s per CPU-second (${Math.round((100 * c.system) / (c.user + c.system))}% sys)`);
  return { wall: count / s, cpu: count / cpu };
}

const dir = mkdtempSync(join(tmpdir(), 'speakup-bench-'));
const handle = openDatabase(join(dir, 'bench.db'));
const store = createIssueStore(handle);
const checkpointer = startCheckpointer(handle);
try {
  const runId = store.startRun({ trigger: 'manual', full: true, startedAt: new Date().toISOString() });
  const syncedAt = new Date().toISOString();
  const details1 = Array.from({ length: N }, (_, i) => detail(i + 1, 1));
  const details2 = Array.from({ length: N }, (_, i) => detail(i + 1, 2));
  let mapped: MappedIssue[] = [];
  timed('map (toIssueRecord) only', N, () => { mapped = details1.map((d) => toIssueRecord(d, syncedAt)); });
  const write = (records: MappedIssue[]): void => {
    for (let i = 0; i < records.length; i += BATCH) store.saveIssues(records.slice(i, i + BATCH), runId);
  };
  const insertRate = timed(`saveIssues, new issues (batch ${BATCH})`, N, () => write(mapped));
  const updated = details2.map((d) => toIssueRecord(d, syncedAt));
  const updateRate = timed(`saveIssues, changed issues (batch ${BATCH})`, N, () => write(updated));
  timed('map + saveIssues, changed issues', N, () => write(details1.map((d) => toIssueRecord(d, syncedAt))));
  const ids = Array.from({ length: N }, (_, i) => i + 1);
  const run2 = store.startRun({ trigger: 'manual', full: false, startedAt: new Date().toISOString() });
  const walBefore = statSync(join(dir, 'bench.db-wal')).size;
  // Measure what one listing writes: an empty WAL, no checkpoint in between.
  await checkpointer.stop();
  handle.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  handle.sqlite.pragma('wal_autocheckpoint = 0');
  timed('getStates + markListed (pages of 500)', N, () => {
    for (let i = 0; i < N; i += 500) {
      const page = ids.slice(i, i + 500);
      store.getStates(page);
      store.markListed(page, run2, new Date().toISOString());
    }
  });
  const walAfter = statSync(join(dir, 'bench.db-wal')).size;
  handle.sqlite.pragma('wal_autocheckpoint = 1000');
  const fields = handle.sqlite.prepare('SELECT count(*) AS n FROM issue_field_values').get() as { n: number };
  const changes = handle.sqlite.prepare('SELECT count(*) AS n FROM issue_changes').get() as { n: number };
  console.log(`rows: ${N} issues, ${fields.n} field values, ${changes.n} changes; db ${(statSync(join(dir, 'bench.db')).size / 1e6).toFixed(1)} MB; WAL after writes ${(walBefore / 1e6).toFixed(1)} MB; one listing of all issues writes ${(walAfter / 1e6).toFixed(1)} MB of WAL (${Math.round(walAfter / N)} bytes per issue)`);
  const slower = (k: keyof Rate): string => fmt(Math.min(insertRate[k], updateRate[k])).trim();
  console.log(`RESULT saveIssues: ${slower('wall')} issues/s wall, ${slower('cpu')} issues/s per CPU-second (slower of insert/update)`);
} finally {
  await checkpointer.stop();
  handle.close();
  rmSync(dir, { recursive: true, force: true });
}
