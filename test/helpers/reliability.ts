/**
 * Helpers of the reliability suite (test/reliability): invariant checks on a mirror file written by a
 * process that may have died at any instruction, a reader of the SQLite WAL that tells whether a write
 * transaction was cut in the middle, secret scans over every text column, and small waiting utilities.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { mulberry32 } from '../../src/emulator/api/rng.js';
import { toIssueRecord } from '../../src/sync/map-issue.js';
import type { Emulator } from '../../src/emulator/start.js';
import { startCli, type CliResult } from './cli.js';
import { harness, mirrorDiff } from './harness.js';

/** Every version of every issue the emulator has served: id → serialized details. */
export type Versions = Map<number, Set<string>>;

/** Adds the emulator's current version of every live issue to `versions`. */
export function recordVersions(emu: Emulator, versions: Versions): void {
  for (const id of emu.data.ids()) {
    let set = versions.get(id);
    if (!set) versions.set(id, (set = new Set()));
    set.add(JSON.stringify(emu.data.get(id)));
  }
}

/** Opens the mirror for checks; undefined when the file does not exist (the process died before creating it). */
export function openIfExists(dbPath: string, readonly = true): Database.Database | undefined {
  if (!existsSync(dbPath)) return undefined;
  return new Database(dbPath, { readonly, fileMustExist: true });
}

/**
 * Opens what a dead writer left, read-only when SQLite allows it. It does not when the writer died inside
 * a rollback-journal transaction (the switch of a brand-new file to WAL) or while the WAL index needed
 * rebuilding: a read-only connection then answers SQLITE_READONLY_ROLLBACK / _RECOVERY, and only a
 * read-write connection (the next run's) can roll back or recover. Then this opens read-write, which
 * does exactly that and nothing else, and says so in `recovery`.
 */
export function openAfterCrash(dbPath: string): { db: Database.Database; recovery: string | undefined } | undefined {
  const ro = openIfExists(dbPath);
  if (!ro) return undefined;
  try {
    ro.pragma('schema_version');
    return { db: ro, recovery: undefined };
  } catch (err) {
    ro.close();
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('SQLITE_READONLY')) throw err;
    return { db: new Database(dbPath, { fileMustExist: true }), recovery: code };
  }
}

const FIELD_COLUMNS =
  'issue_id, position, form_id, form_name, field_id, label, type, value_text, value_number, value_json';

/**
 * Everything that must hold whatever instant a writer died at. Returns the problems found (empty = sound):
 * - `PRAGMA integrity_check` is ok and `PRAGMA foreign_key_check` finds nothing;
 * - every stored issue's `data` is a version the emulator actually served (`versions`), its typed
 *   columns are exactly what the mapper makes of that `data`, and its field-value rows are exactly the
 *   mapper's rows for it (no missing, extra or stale row: the issue and its fields landed together);
 * - no field-value, FTS or sighting row without its issue, and an FTS and sighting row for every issue.
 */
export function mirrorProblems(db: Database.Database, versions: Versions): string[] {
  const problems: string[] = [];
  const integrity = db.pragma('integrity_check', { simple: true });
  if (integrity !== 'ok') problems.push(`integrity_check: ${String(integrity)}`);
  const tables = new Set(
    (db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table')").all() as { name: string }[]).map(
      (r) => r.name,
    ),
  );
  // Died before (or while) migrating: the migration is one transaction, so either no table or all of them.
  if (!tables.has('issues')) {
    if (tables.has('issue_field_values') || tables.has('sync_runs'))
      problems.push(`half-migrated schema: ${[...tables].join(', ')}`);
    return problems;
  }
  const fkProblems = db.pragma('foreign_key_check') as unknown[];
  if (fkProblems.length > 0) problems.push(`foreign_key_check: ${JSON.stringify(fkProblems.slice(0, 5))}`);

  const orphans = (table: string, col: string) =>
    (
      db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${col} NOT IN (SELECT id FROM issues)`).get() as {
        n: number;
      }
    ).n;
  for (const [table, col] of [
    ['issue_field_values', 'issue_id'],
    ['issues_fts', 'rowid'],
    ['issue_sightings', 'issue_id'],
    ['issue_changes', 'issue_id'],
  ] as const) {
    const n = orphans(table, col);
    if (n > 0) problems.push(`${n} ${table} rows without their issue`);
  }
  const withoutFts = (
    db.prepare('SELECT count(*) AS n FROM issues WHERE id NOT IN (SELECT rowid FROM issues_fts)').get() as { n: number }
  ).n;
  if (withoutFts > 0) problems.push(`${withoutFts} issues without their full-text row`);
  const withoutSighting = (
    db.prepare('SELECT count(*) AS n FROM issues WHERE id NOT IN (SELECT issue_id FROM issue_sightings)').get() as {
      n: number;
    }
  ).n;
  if (withoutSighting > 0) problems.push(`${withoutSighting} issues without their sighting row`);

  const rows = db.prepare('SELECT * FROM issues ORDER BY id').all() as Record<string, unknown>[];
  const fieldsOf = db.prepare(`SELECT ${FIELD_COLUMNS} FROM issue_field_values WHERE issue_id = ? ORDER BY position`);
  for (const row of rows) {
    const id = row.id as number;
    const data = row.data as string;
    if (!versions.get(id)?.has(data)) {
      problems.push(`issue ${id}: stored data is no version the API served`);
      continue;
    }
    const expected = toIssueRecord(JSON.parse(data), row.synced_at as string);
    for (const [key, value] of Object.entries(expected.issue)) {
      const column = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      if (row[column] !== value)
        problems.push(
          `issue ${id}: column ${column} is ${JSON.stringify(row[column])}, its data says ${JSON.stringify(value)}`,
        );
    }
    const stored = fieldsOf.all(id) as Record<string, unknown>[];
    const want = expected.fields.map((f) => ({
      issue_id: f.issueId,
      position: f.position,
      form_id: f.formId,
      form_name: f.formName,
      field_id: f.fieldId,
      label: f.label,
      type: f.type,
      value_text: f.valueText,
      value_number: f.valueNumber,
      value_json: f.valueJson,
    }));
    if (JSON.stringify(stored) !== JSON.stringify(want)) {
      problems.push(
        `issue ${id}: ${stored.length} field-value rows stored, its detail has ${want.length} (or they differ)`,
      );
    }
    if (problems.length > 20) break;
  }
  return problems;
}

/** The sync_runs rows (id, status, pid, error), oldest first. */
export function runRows(
  db: Database.Database,
): { id: number; status: string; pid: number | null; error: string | null }[] {
  return db.prepare('SELECT id, status, pid, error FROM sync_runs ORDER BY id').all() as {
    id: number;
    status: string;
    pid: number | null;
    error: string | null;
  }[];
}

/** The lease row, if any. */
export function lockRow(db: Database.Database): { pid: number; host: string; acquired_at: string } | undefined {
  return db.prepare('SELECT pid, host, acquired_at FROM sync_lock').get() as
    { pid: number; host: string; acquired_at: string } | undefined;
}

/** What the WAL file holds: valid frames, and whether the last of them ends a transaction. */
export interface WalState {
  /** Frames that belong to the current WAL generation (salts and checksum chain valid). */
  frames: number;
  /** Valid frames after the last commit frame: a write transaction that was cut in the middle. */
  uncommittedFrames: number;
}

/**
 * Reads `<db>-wal` the way SQLite's recovery does (https://sqlite.org/fileformat2.html#walformat): frames
 * count while their salts match the header and the cumulative checksum chains; a frame whose "database
 * size after commit" field is non-zero ends a transaction. Frames after the last such frame are a
 * transaction the writer never committed; recovery ignores them.
 */
export function readWal(dbPath: string): WalState {
  const file = `${dbPath}-wal`;
  if (!existsSync(file)) return { frames: 0, uncommittedFrames: 0 };
  const buf = readFileSync(file);
  if (buf.length < 32) return { frames: 0, uncommittedFrames: 0 };
  const magic = buf.readUInt32BE(0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683) return { frames: 0, uncommittedFrames: 0 };
  const bigEndian = magic === 0x377f0683;
  const pageSize = buf.readUInt32BE(8) || 65536;
  const salt1 = buf.readUInt32BE(16);
  const salt2 = buf.readUInt32BE(20);
  const word = (off: number) => (bigEndian ? buf.readUInt32BE(off) : buf.readUInt32LE(off));
  let s0 = 0;
  let s1 = 0;
  const sum = (start: number, end: number) => {
    for (let i = start; i < end; i += 8) {
      s0 = (s0 + word(i) + s1) >>> 0;
      s1 = (s1 + word(i + 4) + s0) >>> 0;
    }
  };
  sum(0, 24);
  if (s0 !== buf.readUInt32BE(24) || s1 !== buf.readUInt32BE(28)) return { frames: 0, uncommittedFrames: 0 };
  let frames = 0;
  let lastCommit = 0;
  for (let off = 32; off + 24 + pageSize <= buf.length; off += 24 + pageSize) {
    if (buf.readUInt32BE(off + 8) !== salt1 || buf.readUInt32BE(off + 12) !== salt2) break;
    sum(off, off + 8);
    sum(off + 24, off + 24 + pageSize);
    if (s0 !== buf.readUInt32BE(off + 16) || s1 !== buf.readUInt32BE(off + 20)) break;
    frames++;
    if (buf.readUInt32BE(off + 4) !== 0) lastCommit = frames;
  }
  return { frames, uncommittedFrames: frames - lastCommit };
}

/** Every text value of every column of every table (views excluded), as one list. */
export function allText(db: Database.Database): string[] {
  const out: string[] = [];
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
  for (const { name } of tables) {
    const cols = db.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as { name: string }[];
    for (const { name: col } of cols) {
      for (const v of db
        .prepare(`SELECT "${col}" AS v FROM "${name}" WHERE typeof("${col}") IN ('text', 'blob')`)
        .pluck()
        .all() as (string | Buffer)[]) {
        out.push(typeof v === 'string' ? v : v.toString('latin1'));
      }
    }
  }
  return out;
}

/** The secrets (and a recognisable 16-character slice of each) found in `haystacks`, by where they were. */
export function findSecrets(haystacks: Record<string, string | Buffer>, secrets: readonly string[]): string[] {
  const hits: string[] = [];
  for (const [where, hay] of Object.entries(haystacks)) {
    const text = typeof hay === 'string' ? hay : hay.toString('latin1');
    secrets.forEach((secret, i) => {
      // A slice from the middle of a token too: a truncated or wrapped log line must not hide a leak.
      const probes = secret.length > 40 ? [secret, secret.slice(secret.length / 2, secret.length / 2 + 24)] : [secret];
      if (probes.some((p) => text.includes(p))) hits.push(`secret #${i} (${secret.slice(0, 6)}…) in ${where}`);
    });
  }
  return hits;
}

/** Polls `cond` every `everyMs` until it is true; throws after `timeoutMs` naming `what`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 20_000, everyMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------------
// Crash injection: a CLI child killed with SIGKILL at a point chosen from a seed.

/** Where a kill is aimed (startup = while opening and migrating the database, taking the lock). */
export type KillPhase = 'startup' | 'login' | 'listing' | 'fetching' | 'write';

/** A kill point: the phase, and how deep into it (a count of events or a delay). */
export interface KillPlan {
  phase: KillPhase;
  /** login: IdP calls seen; listing: list pages requested; fetching/write: details requested. */
  after: number;
  /** Extra delay once the event is seen, ms (lands the kill inside the request or write in flight). */
  delayMs: number;
}

/** Chooses where to kill, from a seed: the same seed always gives the same plan. */
export function planKill(rng: () => number, phase: KillPhase, details: number, pages: number): KillPlan {
  const between = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  switch (phase) {
    case 'startup':
      // Once the database file exists: inside opening, migrating, taking the lock, starting the run row.
      return { phase, after: 0, delayMs: between(0, 120) };
    case 'login':
      // Inside the InitiateAuth call (the IdP answers after 80 ms in this phase).
      return { phase, after: 1, delayMs: between(0, 60) };
    case 'listing':
      return { phase, after: between(1, Math.max(1, pages - 1)), delayMs: between(0, 15) };
    case 'fetching':
      return { phase, after: between(1, Math.max(1, details - 1)), delayMs: between(0, 10) };
    case 'write':
      return { phase, after: between(1, Math.max(1, Math.floor(details / 2))), delayMs: 0 };
  }
}

/** The SIGKILL trigger for `plan`, polled while the child runs; true = kill now. Build it just before the spawn. */
export function killTrigger(plan: KillPlan, emu: Emulator, dbPath: string): () => boolean {
  const idpCalls = () => Object.values(emu.cognito.counters.operations).reduce((a, b) => a + b, 0);
  const start = { idp: idpCalls(), list: emu.counters.requests.list, detail: emu.counters.requests.detail };
  let seenAt: number | undefined;
  let walMark: string | undefined;
  const walStamp = () => {
    try {
      const st = statSync(`${dbPath}-wal`);
      return `${st.size}:${st.mtimeMs}`;
    } catch {
      return 'none';
    }
  };
  return () => {
    const now = Date.now();
    if (seenAt === undefined) {
      let seen = false;
      switch (plan.phase) {
        case 'startup':
          seen = existsSync(dbPath);
          break;
        case 'login':
          // The login starts beside opening the database: wait for the file too, as every plan does.
          seen = idpCalls() - start.idp >= plan.after && existsSync(dbPath);
          break;
        case 'listing':
          seen = emu.counters.requests.list - start.list >= plan.after;
          break;
        case 'fetching':
        case 'write':
          seen = emu.counters.requests.detail - start.detail >= plan.after;
          break;
      }
      if (!seen) return false;
      seenAt = now;
      walMark = walStamp();
    }
    // write: the first change of the WAL after that point that leaves a frame in it is a write under way
    // (background checkpoints restart the WAL, so a change can be a new header with no frame yet).
    if (plan.phase === 'write') return walStamp() !== walMark && walHasFrame(dbPath);
    return now - seenAt >= plan.delayMs;
  };
}

/** Whether the WAL's first frame belongs to its current header (salts match): cheap enough to poll. */
function walHasFrame(dbPath: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(`${dbPath}-wal`, 'r');
    const buf = Buffer.alloc(56);
    if (readSync(fd, buf, 0, 56, 0) < 56) return false;
    return buf.readUInt32BE(16) === buf.readUInt32BE(40) && buf.readUInt32BE(20) === buf.readUInt32BE(44);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Runs the CLI child and SIGKILLs it when `trigger` fires; resolves with how it ended. */
export async function killWhen(
  start: () => { child: ChildProcess; result: Promise<CliResult> },
  trigger: () => boolean,
): Promise<CliResult & { killedAfterMs: number | undefined }> {
  const spawnedAt = Date.now();
  const { child, result } = start();
  let killedAfterMs: number | undefined;
  let done = false;
  void result.then(() => (done = true));
  while (!done) {
    if (trigger()) {
      child.kill('SIGKILL');
      killedAfterMs = Date.now() - spawnedAt;
      break;
    }
    await sleep(1);
  }
  return { ...(await result), killedAfterMs };
}

/** One kill and what it left behind. */
export interface CrashOutcome {
  seed: number;
  round: number;
  phase: KillPhase;
  full: boolean;
  killedAfterMs: number | undefined;
  /** WAL frames of a transaction the child never committed (> 0: killed inside a write). */
  uncommittedFrames: number;
  /** Whether the schema existed when the child died (false: killed before or inside the migration). */
  migrated: boolean;
  /** `running` rows the dead child left. */
  runningLeft: number;
  /** Set when only a read-write connection could open the file (see openAfterCrash). */
  recovery: string | undefined;
}

/** How many details an incremental run will fetch: live issues not stored, or stored with another updatedAt. */
export function detailsToFetch(dbPath: string, emu: Emulator): number {
  const db = openIfExists(dbPath);
  const stored = new Map<number, string>();
  try {
    if (db?.prepare("SELECT 1 FROM sqlite_master WHERE name = 'issues'").get()) {
      for (const r of db.prepare('SELECT id, updated_at FROM issues WHERE deleted_at IS NULL').all() as {
        id: number;
        updated_at: string;
      }[])
        stored.set(r.id, r.updated_at);
    }
  } finally {
    db?.close();
  }
  return emu.data.list().filter((it) => stored.get(it.id) !== new Date(it.updatedAt).toISOString()).length;
}

const KILL_CYCLE: KillPhase[] = ['login', 'listing', 'fetching', 'write'];
const MAX_EXTRA_WRITE_KILLS = 5;

/**
 * `rounds` kills on one database (round 0 on a fresh file, aimed at start-up and migration; later rounds
 * cycle through login, listing, fetching and write, after changing, adding and removing issues), each
 * followed by the invariant checks, an in-process next run and the exact mirror comparison. A write-phase
 * kill that did not land inside a transaction is repeated (at most MAX_EXTRA_WRITE_KILLS times), so every
 * scenario proves at least one kill in the middle of a write batch.
 */
export async function crashScenario(seed: number, rounds: number): Promise<CrashOutcome[]> {
  const rng = mulberry32(seed);
  // USER_PASSWORD_AUTH: one IdP call instead of SRP's two, and less CPU per child (login is not under test here).
  const h = await harness(
    { issues: 160, seed },
    { SPEAKUP_PAGE_SIZE: '20', SPEAKUP_CONCURRENCY: '4', SPEAKUP_AUTH_FLOW: 'USER_PASSWORD_AUTH' },
  );
  const outcomes: CrashOutcome[] = [];
  const versions: Versions = new Map();
  // Round 0 on the fresh file; then every phase of the cycle at least once, starting where the seed says.
  const queue: KillPhase[] = [
    'startup',
    ...Array.from({ length: rounds - 1 }, (_, i) => KILL_CYCLE[(seed + i) % KILL_CYCLE.length]!),
  ];
  let extraWriteKills = 0;
  try {
    for (let round = 0; round < queue.length; round++) {
      const phase = queue[round]!;
      const at = `seed ${seed} round ${round} (${phase})`;
      if (round > 0) {
        // The world moves on between crashes: changed, new and removed issues for the next run.
        const ids = h.emu.data.ids();
        for (const id of ids) if (rng() < 0.1) h.emu.data.update(id);
        h.emu.data.add(1 + Math.floor(rng() * 3));
        h.emu.data.remove(ids[Math.floor(rng() * ids.length)]!);
      }
      if (phase === 'write') {
        // Large details (20-60 KB): a batch outgrows the page cache and spills, so the WAL grows mid-transaction.
        for (const id of h.emu.data.ids())
          h.emu.data.update(id, { description: `${'x'.repeat(20_000 + Math.floor(rng() * 40_000))} ${id}` });
      }
      recordVersions(h.emu, versions);
      // Slow down the phase aimed at, so the kill lands inside a call in flight.
      h.emu.cognito.knobs.latencyMs = phase === 'login' ? 80 : 0;
      h.emu.knobs.latencyMs = phase === 'listing' ? 15 : phase === 'fetching' ? 3 : 0;
      const full = round % 2 === 1;
      const plan = planKill(
        rng,
        phase,
        full ? h.emu.data.size() : detailsToFetch(h.dbPath, h.emu),
        Math.ceil(h.emu.data.size() / 20),
      );
      const trigger = killTrigger(plan, h.emu, h.dbPath);
      const r = await killWhen(() => startCli(full ? ['sync', '--full'] : ['sync'], h.env, h.dir), trigger);
      expect(r.signal, `${at}: the child must die by SIGKILL, not finish first (${r.stderr.slice(-3000)})`).toBe(
        'SIGKILL',
      );
      h.emu.cognito.knobs.latencyMs = 0;
      h.emu.knobs.latencyMs = 0;

      // What the dead process left, before anything opens the file for writing.
      const wal = readWal(h.dbPath);
      let runningLeft: number[] = [];
      let migrated = false;
      // Every plan fires after the file exists (startup waits for it): a kill that found no file missed its aim.
      const opened = openAfterCrash(h.dbPath);
      expect(opened, `${at}: the database file after the kill`).toBeDefined();
      const db = opened!.db;
      try {
        expect(mirrorProblems(db, versions), `${at}: the database after the kill`).toEqual([]);
        migrated = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sync_runs'").get() !== undefined;
        if (migrated)
          runningLeft = runRows(db)
            .filter((x) => x.status === 'running')
            .map((x) => x.id);
      } finally {
        db.close();
      }
      // The login starts with the process, beside opening the database, so a kill aimed at it may come before
      // the run row exists; one aimed later lands inside that run.
      if (phase === 'login')
        expect(runningLeft.length, `${at}: runs the dead child left running`).toBeLessThanOrEqual(1);
      else if (phase !== 'startup') expect(runningLeft, `${at}: runs the dead child left running`).toHaveLength(1);
      outcomes.push({
        seed,
        round,
        phase,
        full,
        killedAfterMs: r.killedAfterMs,
        uncommittedFrames: wal.uncommittedFrames,
        migrated,
        runningLeft: runningLeft.length,
        recovery: opened?.recovery,
      });
      // A write-phase kill that fell between transactions proves less: aim again (bounded).
      const caughtWrite = outcomes.some((o) => o.phase === 'write' && o.uncommittedFrames > 0);
      if (phase === 'write' && !caughtWrite && extraWriteKills < MAX_EXTRA_WRITE_KILLS) {
        extraWriteKills++;
        queue.splice(round + 1, 0, 'write');
      }

      // The next run completes the mirror exactly, marks the dead run interrupted and takes its lock over.
      const next = await h.sync();
      expect(next.status, `${at}: next run: ${next.error ?? ''}`).toBe('succeeded');
      expect(mirrorDiff(h), `${at}: mirror after the next run`).toEqual({ missing: [], extra: [], different: [] });
      const after = openIfExists(h.dbPath)!;
      try {
        expect(mirrorProblems(after, versions), `${at}: the database after the next run`).toEqual([]);
        const runs = runRows(after);
        expect(
          runs.filter((x) => x.status === 'running'),
          `${at}: runs left running`,
        ).toEqual([]);
        for (const id of runningLeft) {
          const run = runs.find((x) => x.id === id)!;
          expect(run.status).toBe('interrupted');
          expect(run.error).toMatch(/^interrupted: process \d+ on .+ is gone/);
        }
        expect(lockRow(after), `${at}: lock after the next run`).toBeUndefined();
      } finally {
        after.close();
      }
    }
  } finally {
    await h.close();
  }
  return outcomes;
}

/** One line per kill, for the test log. */
export function describeOutcomes(outcomes: readonly CrashOutcome[]): string {
  return outcomes
    .map(
      (o) =>
        `seed ${o.seed} #${o.round} ${o.phase.padEnd(8)} ${o.full ? '--full' : '      '} killed at ${o.killedAfterMs} ms; schema ${o.migrated ? 'yes' : 'no '}; uncommitted WAL frames ${o.uncommittedFrames}; runs left running ${o.runningLeft}${o.recovery ? `; read-only open refused (${o.recovery})` : ''}`,
    )
    .join('\n');
}

/** What every crash scenario must show, whatever its seed. */
export function expectCrashOutcomes(outcomes: CrashOutcome[]): void {
  expect(outcomes.length).toBeGreaterThanOrEqual(5);
  // At least one kill landed inside a write transaction (frames written, commit never reached).
  expect(outcomes.some((o) => o.phase === 'write' && o.uncommittedFrames > 0)).toBe(true);
  // Every kill aimed past the login died inside its run, leaving it "running" for the next run to mark
  // interrupted. One aimed at the login may come before the run row exists (the login starts beside
  // opening the database), so it leaves at most one.
  const inRun = outcomes.filter((o) => o.phase !== 'startup' && o.phase !== 'login');
  expect(inRun.length).toBeGreaterThanOrEqual(3);
  expect(inRun.map((o) => o.runningLeft)).toEqual(inRun.map(() => 1));
  for (const o of outcomes.filter((x) => x.phase === 'login')) expect(o.runningLeft).toBeLessThanOrEqual(1);
  expect(new Set(outcomes.map((o) => o.phase))).toEqual(new Set(['startup', 'login', 'listing', 'fetching', 'write']));
}
