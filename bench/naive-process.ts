/**
 * Scenario 7 (the naive baseline, bench/naive.ts), the list-only probe of scenario 3, and the optional
 * write-path scenario "w" (bench/write-path.ts), each run as a measured child process.
 */
import { join } from 'node:path';
import { boundMs, listPages } from './analyze.js';
import type { EmulatorProcess } from './emulator-process.js';
import { runMeasured } from './measure.js';
import type { NaiveResult } from './naive.js';
import { toResult } from './result.js';
import type { RunContext, ScenarioResult } from './types.js';

/** Runs bench/naive.ts against `emu`; the scenario fields are only meaningful for a full (not list-only) run. */
export async function runNaive(
  ctx: RunContext,
  emu: EmulatorProcess,
  dbPath: string,
  how: { listOnly: boolean; baseline?: ScenarioResult | undefined },
): Promise<{ result: NaiveResult | undefined; scenario: ScenarioResult }> {
  const { opts } = ctx;
  const sample = Math.min(opts.naiveSample, opts.n);
  await emu.reset();
  const args = [
    '--import',
    'tsx',
    join(ctx.repoRoot, 'bench/naive.ts'),
    '--db',
    dbPath,
    '--page-size',
    String(ctx.pageSize),
  ];
  args.push(...(how.listOnly ? ['--list-only'] : ['--limit', String(sample)]));
  const expected = {
    n: opts.n,
    latencyMs: opts.latencyMs,
    rps: null,
    concurrency: 1,
    pageSize: ctx.pageSize,
    expectDetails: how.listOnly ? 0 : opts.n,
  };
  const run = await runMeasured({
    command: process.execPath,
    args,
    cwd: ctx.repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: ctx.workDir, ...emu.env },
    timeoutMs: ctx.opts.timeoutMs ?? Math.max(120_000, sample * opts.latencyMs * 3 + 60_000),
    watch: { emulator: emu.pid },
  });
  const c = await emu.counters();
  let result: NaiveResult | undefined;
  try {
    result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as NaiveResult;
  } catch {
    result = undefined;
  }
  const problems: string[] = [];
  if (run.exit.timedOut) problems.push('timed out');
  else if (run.exit.code !== 0)
    problems.push(`exit code ${run.exit.code ?? run.exit.signal}: ${run.stderrTail.trim()}`);
  if (result && result.listed !== opts.n) problems.push(`listed ${result.listed}, expected ${opts.n}`);
  if (result && !how.listOnly && result.details !== sample)
    problems.push(`fetched ${result.details}, expected ${sample}`);

  // Linear extrapolation of the detail loop from the sample to N: one request and one INSERT per issue.
  const perIssueMs = result && result.details > 0 ? result.detailLoopMs / result.details : 0;
  const missing = result ? opts.n - result.details : 0;
  const wallMs = run.wallMs + (how.listOnly ? 0 : missing * perIssueMs);
  const bound = boundMs(expected);
  const s1 = how.baseline;
  const status: ScenarioResult['status'] = run.exit.timedOut
    ? 'timeout'
    : run.exit.code !== 0 || !result
      ? 'failed'
      : problems.length > 0
        ? 'mismatch'
        : 'ok';
  const ran = status === 'ok' || status === 'mismatch';
  const title =
    Number.isFinite(opts.naiveSample) && sample < opts.n
      ? `naive baseline (${sample} measured, extrapolated)`
      : 'naive baseline';
  const scenario = toResult(
    { id: '7', title, n: opts.n, latencyMs: opts.latencyMs, rps: null, concurrency: 1, pageSize: ctx.pageSize },
    {
      status,
      problems,
      wallMs,
      noopMs: ctx.noopNaiveMs,
      phases: result
        ? {
            startupMs: result.startupMs,
            loginMs: result.loginMs,
            apiMs: result.listMs + result.detailLoopMs + missing * perIssueMs,
            tailMs: run.wallMs - result.startupMs - result.totalMs,
          }
        : null,
      counters: c,
      listed: result?.listed ?? null,
      fetched: result?.details ?? null,
      peakRssKb: run.peakRssKb,
      cpu: { syncMs: run.cpuUserMs === null ? null : run.cpuUserMs + (run.cpuSysMs ?? 0) },
      boundMs: bound,
      apiMs: null,
      extra: {
        measuredWallMs: run.wallMs,
        sample: result?.details ?? 0,
        perIssueMs,
        fetchPerIssueMs: result && result.details > 0 ? result.fetchMs / result.details : null,
        insertPerIssueMs: result && result.details > 0 ? result.insertMs / result.details : null,
        listPages: listPages(opts.n, ctx.pageSize),
        naive: result ?? null,
        speedupIncl: ran && s1 ? wallMs / s1.wallMs : null,
        speedupExcl: ran && s1 ? (wallMs - ctx.noopNaiveMs) / s1.netWallMs : null,
      },
    },
  );
  return { result, scenario };
}

/** Runs bench/write-path.ts (the write path alone) and reports its RESULT line. */
export async function runWritePath(ctx: RunContext, n: number): Promise<ScenarioResult> {
  const run = await runMeasured({
    command: process.execPath,
    args: [
      '--import',
      'tsx',
      ...(ctx.pgUrl ? ['bench/write-path-postgres.ts', ctx.pgUrl] : ['bench/write-path.ts']),
      String(n),
    ],
    cwd: ctx.repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: ctx.workDir, TMPDIR: ctx.workDir },
    timeoutMs: ctx.opts.timeoutMs ?? Math.max(120_000, n * 5),
  });
  // The first "N issues/s" of its RESULT line is the wall rate.
  const line = /^RESULT.*$/m.exec(run.stdout)?.[0];
  const m = line === undefined ? null : /([\d,]+) issues\/s/.exec(line);
  const rate = m ? Number(m[1]?.replaceAll(',', '')) : NaN;
  const perCpu = line === undefined ? undefined : /([\d,]+) issues\/s per CPU-second/.exec(line)?.[1];
  const floor = line === undefined ? undefined : /schema floor ([\d,]+) issues\/s/.exec(line)?.[1];
  const problems = run.exit.code === 0 && m ? [] : [`exit ${run.exit.code ?? run.exit.signal}, no RESULT line`];
  const title = ctx.pgUrl
    ? 'PostgreSQL write path alone (bench/write-path-postgres.ts)'
    : 'SQLite write path alone (bench/write-path.ts)';
  return toResult(
    { id: 'w', title, n, latencyMs: 0, rps: null, concurrency: 1, pageSize: 0 },
    {
      status: run.exit.timedOut ? 'timeout' : problems.length > 0 ? 'failed' : 'ok',
      problems,
      wallMs: run.wallMs,
      noopMs: ctx.noopSyncMs,
      phases: null,
      counters: null,
      listed: null,
      fetched: null,
      peakRssKb: run.peakRssKb,
      cpu: { syncMs: run.cpuUserMs === null ? null : run.cpuUserMs + (run.cpuSysMs ?? 0) },
      boundMs: null,
      issuesPerSec: { incl: rate, excl: rate },
      extra: {
        result: line ?? null,
        perCpuSecond: perCpu === undefined ? null : Number(perCpu.replaceAll(',', '')),
        schemaFloor: floor === undefined ? null : Number(floor.replaceAll(',', '')),
        output: run.stdout.trim().split('\n'),
      },
    },
  );
}
