/**
 * Runs the real `speakup-sync sync` (bin/speakup-sync.js) as a measured child against the emulator,
 * from an empty working directory (so no `.env` is read) with only the variables it needs.
 */
import { join } from 'node:path';
import { runMeasured } from './measure.js';
import type { MeasuredRun } from './measure.js';
import type { RunCounts } from '../src/sync/types.js';

/** One sync run to perform. */
export interface SyncSpec {
  repoRoot: string;
  /** Empty directory used as cwd and HOME. */
  workDir: string;
  /** SPEAKUP_* variables printed by the emulator. */
  emulatorEnv: Record<string, string>;
  /** An SQLite file, or a PostgreSQL URL (with dbSchema). */
  dbPath: string;
  /** SPEAKUP_DB_SCHEMA, for a PostgreSQL URL. */
  dbSchema?: string;
  /** SPEAKUP_CONCURRENCY; undefined = the project's default. */
  concurrency: number | undefined;
  /** SPEAKUP_PAGE_SIZE; undefined = the project's default. */
  pageSize: number | undefined;
  timeoutMs: number;
  emulatorPid: number;
}

/** The numbers of the CLI's closing summary line. */
export type SyncSummary = { status: string } & Pick<
  RunCounts,
  'listed' | 'fetched' | 'unchanged' | 'deleted' | 'failed' | 'requests' | 'throttled'
>;

/** A measured sync run with what its output says. */
export interface SyncRun extends MeasuredRun {
  summary: SyncSummary | undefined;
  /** Epoch ms of the "sync started" / "sync finished" log events. */
  loggedStartAt: number | undefined;
  loggedFinishAt: number | undefined;
  /** Log events at warn level or above. */
  warnings: number;
}

// summaryLine() in src/cli/progress.ts.
const SUMMARY =
  /^sync (\w+) \(run \d+\): (\d+) listed, (\d+) fetched, (\d+) unchanged, (\d+) deleted, (\d+) failed; (\d+) requests, (\d+) throttled/m;

/** Minimal child environment: PATH, HOME and the SPEAKUP_* variables, nothing else of ours. */
export function syncEnv(
  spec: Pick<SyncSpec, 'workDir' | 'emulatorEnv' | 'dbPath' | 'dbSchema' | 'concurrency' | 'pageSize'>,
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: spec.workDir,
    ...spec.emulatorEnv,
    SPEAKUP_DB: spec.dbPath,
    ...(spec.dbSchema === undefined ? {} : { SPEAKUP_DB_SCHEMA: spec.dbSchema }),
    SPEAKUP_LOG_LEVEL: 'info',
    ...(spec.concurrency === undefined ? {} : { SPEAKUP_CONCURRENCY: String(spec.concurrency) }),
    ...(spec.pageSize === undefined ? {} : { SPEAKUP_PAGE_SIZE: String(spec.pageSize) }),
  };
}

/** Runs one `speakup-sync sync`. */
export async function runSyncProcess(spec: SyncSpec): Promise<SyncRun> {
  let loggedStartAt: number | undefined;
  let loggedFinishAt: number | undefined;
  let warnings = 0;
  const run = await runMeasured({
    command: process.execPath,
    args: [join(spec.repoRoot, 'bin/speakup-sync.js'), 'sync'],
    cwd: spec.workDir,
    env: syncEnv(spec),
    timeoutMs: spec.timeoutMs,
    watch: { emulator: spec.emulatorPid },
    onStderrLine: (line) => {
      if (!line.startsWith('{')) return;
      try {
        const event = JSON.parse(line) as { level?: number; time?: number; msg?: string };
        if (event.msg === 'sync started') loggedStartAt = event.time;
        if (event.msg === 'sync finished') loggedFinishAt = event.time;
        if ((event.level ?? 0) >= 40) warnings++;
      } catch {
        // Not a log event.
      }
    },
  });
  return { ...run, summary: parseSummary(run.stdout), loggedStartAt, loggedFinishAt, warnings };
}

/** Measures a no-op start (`speakup-sync --help`): process start, tsx and module loading. Median of `times`. */
export async function measureNoop(command: string, args: string[], cwd: string, times = 3): Promise<number> {
  const walls: number[] = [];
  for (let i = 0; i < times; i++) {
    const run = await runMeasured({
      command,
      args,
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: cwd },
      timeoutMs: 30_000,
    });
    walls.push(run.wallMs);
  }
  walls.sort((a, b) => a - b);
  return walls[Math.floor(walls.length / 2)] ?? 0;
}

function parseSummary(stdout: string): SyncSummary | undefined {
  const m = SUMMARY.exec(stdout);
  if (!m) return undefined;
  const [status = '', ...nums] = m.slice(1);
  const [listed, fetched, unchanged, deleted, failed, requests, throttled] = nums.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { status, listed, fetched, unchanged, deleted, failed, requests, throttled };
}
