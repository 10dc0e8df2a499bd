/**
 * Measures the database write path as the writer thread runs it: detail bodies arrive as JSON text (flat
 * strings, as the HTTP client decodes them), a batch at a time; each batch is parsed and mapped
 * (writeDetails), then saveIssues writes it with ~10 field values per issue, FTS and change tracking in one
 * BEGIN IMMEDIATE transaction, with WAL checkpoints on a worker thread (db/checkpointer.ts).
 *
 * Judges it against the schema's floor: only the three rows every new issue needs (the issue, its field
 * values, its FTS row) written by bare positional statements, with no mapping, no history, no sightings and
 * none of the store's logic. A store that also keeps history cannot write faster than that on this machine
 * and schema. For new issues it also prints the whole floor: the same plus the rows the schema asks of a
 * new issue beyond its own (its first sight of each tracked field in issue_changes, and its sighting),
 * by bare statements too; saveIssues against that is what the store's own logic costs. Changed issues are edited as people edit them: the status and one of the ten fields (half of
 * them indexed text); "rewritten" issues change every field and the whole text.
 *
 * How it is measured, so that two runs of the same code agree on a shared machine whose speed drifts from
 * second to second: the two sides run in turn, batch by batch (which goes first alternates), saveIssues into
 * its file and the floor into a fresh file of its own with the same pragmas and checkpointer, so that both
 * meet the same load and the same state of the CPU's caches; each phase (new, changed, rewritten issues) has
 * its own floor file and so its own paired floor. A warm-up round compiles both sides first; then several
 * rounds, each into fresh files, and each ratio is the median of the rounds' own ratios, printed with their
 * spread. The figure to compare is per CPU-second of the writing thread (bench/trial-meter.ts): other load
 * stretches the wall time, and the process's CPU time also holds the checkpointer threads and the garbage
 * collector's, whose share of a span varies.
 * Usage: npx tsx bench/write-path.ts [issues=20000, per side over all rounds] [batch=100] [rounds=5]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCheckpointer, type Checkpointer } from '../src/db/checkpointer.js';
import { createIssueStore, type IssueStore, type MappedIssue } from '../src/db/issue-store.js';
import { openDatabase, type DatabaseHandle } from '../src/db/open.js';
import { writeDetails } from '../src/sync/detail-writer.js';
import { toIssueRecord } from '../src/sync/map-issue.js';
import type { FetchedDetail } from '../src/sync/types.js';
import { wireDetails } from './fixture-details.js';
import { collectGarbage, median, Meter, perSecond, type Sample } from './trial-meter.js';
import { floorWriter } from './write-floor.js';

const N = Number(process.argv[2] ?? 20_000);
const BATCH = Number(process.argv[3] ?? 100);
const TRIALS = Number(process.argv[4] ?? 5);
// Each side writes N issues in all: TRIALS trials of PER_TRIAL issues, each trial into a fresh file.
const PER_TRIAL = Math.ceil(N / TRIALS);
// Enough batches to compile every path of both sides before the first timed trial.
const WARM_UP = Math.min(PER_TRIAL, 1000);

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const two = (n: number): string => n.toFixed(2);
const load = (): string => loadavg().map(two).join(' ');

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

/** A fresh database file with the store's pragmas and checkpointer; close() deletes it. */
interface Fresh {
  handle: DatabaseHandle;
  checkpointer: Checkpointer;
  close(): Promise<void>;
}
function freshFile(name: string): Fresh {
  const dir = mkdtempSync(join(tmpdir(), 'speakup-bench-'));
  const handle = openDatabase(join(dir, name));
  const checkpointer = startCheckpointer(handle);
  return {
    handle,
    checkpointer,
    close: async () => {
      await checkpointer.stop();
      handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const KINDS = ['new issues', 'changed issues (status + 1 field)', 'rewritten issues (every field)'] as const;
type Kind = (typeof KINDS)[number];

/**
 * One phase of a round: the floor's, saveIssues' and the whole writer's (parse + map + saveIssues) time;
 * for new issues also the floor with their history and sighting rows (the whole schema's floor).
 */
interface Paired {
  floor: Sample;
  save: Sample;
  writer: Sample;
  wholeFloor?: Sample;
}

/**
 * Writes `n` of `texts` through writeDetails into `store`, and as many new issues into a fresh floor file,
 * batch by batch in turn (which side goes first alternates), so that both meet the same load and caches.
 */
async function phase(
  kind: Kind,
  store: IssueStore,
  runId: number,
  texts: readonly string[],
  n: number,
): Promise<Paired> {
  const floorFile = freshFile('floor.db');
  const wholeFile = kind === 'new issues' ? freshFile('whole-floor.db') : undefined;
  try {
    const floor = floorWriter(floorFile.handle.sqlite);
    const whole = wholeFile && floorWriter(wholeFile.handle.sqlite, { runId: runOf(wholeFile) });
    const [floorMeter, save, writer, wholeMeter] = [new Meter(), new Meter(), new Meter(), new Meter()];
    const timedStore = {
      saveIssues: (records: readonly MappedIssue[], id: number) => save.time(() => store.saveIssues(records, id)),
    };
    for (let i = 0; i < n; i += BATCH) {
      const saveBatch = (): void => {
        const batch = batchOf(texts, i).slice(0, n - i);
        const outcome = writer.time(() => writeDetails(timedStore, batch, runId));
        if (outcome.stored !== batch.length) throw new Error(`${kind}: ${JSON.stringify(outcome).slice(0, 300)}`);
      };
      const floorBatch = (): void => floor.write(mapBatch(textsV1, i).slice(0, n - i), floorMeter);
      const wholeBatch = (): void => whole?.write(mapBatch(textsV1, i).slice(0, n - i), wholeMeter);
      const sides = [saveBatch, floorBatch, wholeBatch];
      // Which side goes first rotates batch by batch.
      for (let k = 0; k < sides.length; k++) sides[(k + i / BATCH) % sides.length]!();
    }
    const paired: Paired = { floor: floorMeter.sample(), save: save.sample(), writer: writer.sample() };
    if (whole) paired.wholeFloor = wholeMeter.sample();
    return paired;
  } finally {
    await floorFile.close();
    await wholeFile?.close();
  }
}

/** A run row in `file`, for the history rows' foreign key. */
const runOf = (file: Fresh): number =>
  createIssueStore(file.handle).startRun({ trigger: 'manual', full: true, startedAt: new Date().toISOString() });

/** One round into a fresh saveIssues file: n new issues, then those changed, then rewritten, each paired with a floor. */
async function round(texts: Record<Kind, string[]>, n: number, last: boolean): Promise<Record<Kind, Paired>> {
  const file = freshFile('save.db');
  try {
    const store = createIssueStore(file.handle);
    const runId = store.startRun({ trigger: 'manual', full: true, startedAt: new Date().toISOString() });
    // The store prepares its write statements on the first write; like the floor's, outside the timed part.
    store.saveIssues([], runId);
    const paired = {} as Record<Kind, Paired>;
    for (const kind of KINDS) {
      collectGarbage();
      paired[kind] = await phase(kind, store, runId, texts[kind], n);
    }
    if (last) await listing(file, store, n);
    return paired;
  } finally {
    await file.close();
  }
}

/** What one listing of all `n` stored issues costs and writes to the WAL (no checkpoint in between). */
async function listing({ handle, checkpointer }: Fresh, store: IssueStore, n: number): Promise<void> {
  const run2 = store.startRun({ trigger: 'manual', full: false, startedAt: new Date().toISOString() });
  const db = handle.path;
  const walBefore = statSync(`${db}-wal`).size;
  await checkpointer.stop();
  handle.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  handle.sqlite.pragma('wal_autocheckpoint = 0');
  const meter = new Meter();
  for (let i = 0; i < n; i += 500) {
    const page = Array.from({ length: Math.min(500, n - i) }, (_, k) => i + k + 1);
    meter.time(() => {
      store.getStates(page);
      store.markListed(page, run2, new Date().toISOString());
    });
  }
  const s = meter.sample();
  const walAfter = statSync(`${db}-wal`).size;
  handle.sqlite.pragma('wal_autocheckpoint = 1000');
  const count = (table: string): number =>
    (handle.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  console.log(`getStates + markListed (pages of 500): ${fmt(n / s.wall)} /s wall, ${fmt(n / s.cpu)} /s per CPU-second`);
  console.log(
    `rows of the last trial: ${n} issues, ${count('issue_field_values')} field values, ${count('issue_changes')} changes; db ${(statSync(db).size / 1e6).toFixed(1)} MB; WAL after writes ${(walBefore / 1e6).toFixed(1)} MB; one listing of all issues writes ${(walAfter / 1e6).toFixed(1)} MB of WAL (${Math.round(walAfter / n)} bytes per issue)`,
  );
}

const range = (xs: readonly number[], f: (x: number) => string): string =>
  `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;

/** Prints the medians over the rounds of one side; returns them. */
function summarise(label: string, n: number, samples: readonly Sample[]): { wall: number; cpu: number } {
  const wall = perSecond(n, samples, 'wall');
  const cpus = perSecond(n, samples, 'cpu');
  const waited = median(samples.map((s) => s.waited / s.wall));
  console.log(
    `${label.padEnd(52)} ${fmt(median(cpus)).padStart(6)} /s per CPU-second (rounds ${range(cpus, fmt)}), ${fmt(median(wall)).padStart(6)} /s wall, waited for a CPU ${Math.round(100 * waited)}% of the time`,
  );
  return { wall: median(wall), cpu: median(cpus) };
}

/** saveIssues / floor of each round (per CPU-second and wall), paired within the phase. */
function ratios(pairs: readonly Paired[]): { cpu: number[]; wall: number[] } {
  // A rate ratio is the inverse ratio of times for the same count.
  return {
    cpu: pairs.map((p) => p.floor.cpu / p.save.cpu),
    wall: pairs.map((p) => p.floor.wall / p.save.wall),
  };
}

const textsV1 = wireDetails(PER_TRIAL, 1);
const texts: Record<Kind, string[]> = {
  'new issues': textsV1,
  'changed issues (status + 1 field)': edited(textsV1),
  'rewritten issues (every field)': wireDetails(PER_TRIAL, 2),
};
console.log(
  `${TRIALS} rounds of ${PER_TRIAL} issues per side after a warm-up of ${WARM_UP}, batches of ${BATCH}; load average ${load()}`,
);
await round(texts, WARM_UP, false);
const rounds: Record<Kind, Paired>[] = [];
for (let r = 0; r < TRIALS; r++) rounds.push(await round(texts, PER_TRIAL, r === TRIALS - 1));

const floor = summarise(
  'floor: issue + fields + FTS rows, bare statements',
  PER_TRIAL,
  rounds.flatMap((r) => KINDS.map((k) => r[k].floor)),
);
const medians = {} as Record<Kind, { wall: number; cpu: number; ratio: number; rounds: string; wallRatio: number }>;
for (const kind of KINDS) {
  const pairs = rounds.map((r) => r[kind]);
  summarise(
    `writer: parse + map + saveIssues, ${kind}`,
    PER_TRIAL,
    pairs.map((p) => p.writer),
  );
  const save = summarise(
    `saveIssues alone, ${kind}`,
    PER_TRIAL,
    pairs.map((p) => p.save),
  );
  const { cpu, wall } = ratios(pairs);
  medians[kind] = { ...save, ratio: median(cpu), rounds: range(cpu, two), wallRatio: median(wall) };
}
const newPairs = rounds.map((r) => r['new issues']);
const wholeFloor = newPairs.map((p) => p.wholeFloor!);
summarise('whole floor: the same + history and sighting rows', PER_TRIAL, wholeFloor);
// saveIssues against the floor that also writes what the schema asks of a new issue beyond its own rows.
const ofWhole = newPairs.map((p) => p.wholeFloor!.cpu / p.save.cpu);
const [fresh, changed, rewritten] = KINDS.map((k) => medians[k]);
const slower = (k: 'wall' | 'cpu'): string => fmt(Math.min(fresh![k], changed![k]));
console.log(
  `RESULT saveIssues: ${slower('wall')} issues/s wall, ${slower('cpu')} issues/s per CPU-second (slower of insert/update); schema floor ${fmt(floor.wall)} issues/s wall, ${fmt(floor.cpu)} per CPU-second; of the floor per CPU-second: new ${two(fresh!.ratio)}, changed ${two(changed!.ratio)}; load average ${load()}`,
);
const line = (label: string, m: typeof fresh, target: string): void =>
  console.log(
    `RATIO saveIssues / floor: ${label} ${two(m!.wallRatio)} wall, ${two(m!.ratio)} per CPU-second (median of ${TRIALS} rounds, ${m!.rounds}) (${target})`,
  );
line('new issues', fresh, 'target >= 0.85');
line('changed issues', changed, 'target >= 0.8');
line('rewritten issues', rewritten, 'no target');
console.log(
  `RATIO saveIssues / whole floor (with the first-sight history and sighting rows): new issues ${two(median(ofWhole))} per CPU-second (median of ${TRIALS} rounds, ${range(ofWhole, two)}) (no target: what the store's own logic costs)`,
);
