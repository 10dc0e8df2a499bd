/** Scenario 0: the calibration client (bench/ideal.ts) as a measured child, on scenario 1's data. */
import { join } from 'node:path';
import { boundMs } from './analyze.js';
import type { EmulatorProcess } from './emulator-process.js';
import type { IdealResult } from './ideal.js';
import { runMeasured } from './measure.js';
import { cpuBetween, hostBusyBetween } from './proc.js';
import { toResult } from './result.js';
import type { RunContext, ScenarioResult } from './types.js';

/** Runs bench/ideal.ts with the sync's concurrency and page size against `emu`. */
export async function runIdeal(ctx: RunContext, emu: EmulatorProcess): Promise<ScenarioResult> {
  const { opts } = ctx;
  await emu.reset();
  const run = await runMeasured({
    command: process.execPath,
    args: [
      '--import',
      'tsx',
      join(ctx.repoRoot, 'bench/ideal.ts'),
      '--concurrency',
      String(ctx.concurrency),
      '--page-size',
      String(ctx.pageSize),
    ],
    cwd: ctx.repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: ctx.workDir, ...emu.env },
    timeoutMs: opts.timeoutMs ?? 120_000,
    watch: { emulator: emu.pid },
  });
  const c = await emu.counters();
  let result: IdealResult | undefined;
  try {
    result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as IdealResult;
  } catch {
    result = undefined;
  }
  const problems: string[] = [];
  if (run.exit.code !== 0 || !result)
    problems.push(`exit ${run.exit.code ?? run.exit.signal}: ${run.stderrTail.trim()}`);
  else if (result.details !== opts.n) problems.push(`fetched ${result.details}, expected ${opts.n}`);
  const ok = problems.length === 0;
  const first = Math.min(...[c.times.list.first, c.times.detail.first].filter((t) => t > 0));
  const apiMs = Math.max(c.times.list.last, c.times.detail.last) + opts.latencyMs - first;
  const bound = boundMs({
    n: opts.n,
    latencyMs: opts.latencyMs,
    rps: null,
    concurrency: ctx.concurrency,
    pageSize: ctx.pageSize,
    expectDetails: opts.n,
  });
  const selfApi = cpuBetween(run.samples, 'self', first, first + apiMs);
  const emuApi = cpuBetween(run.samples, 'emulator', first, first + apiMs);
  const selfMs = run.cpuUserMs === null ? null : run.cpuUserMs + (run.cpuSysMs ?? 0);
  const emuMs = cpuBetween(run.samples, 'emulator', run.spawnAt, run.exit.exitAt) ?? null;
  const host = hostBusyBetween(run.samples);
  const base = {
    id: '0',
    title: 'calibration: minimal concurrent client, no DB',
    n: opts.n,
    latencyMs: opts.latencyMs,
    rps: null,
    concurrency: ctx.concurrency,
    pageSize: ctx.pageSize,
  };
  return toResult(base, {
    status: run.exit.timedOut ? 'timeout' : ok ? 'ok' : 'failed',
    problems,
    wallMs: run.wallMs,
    // Its start-up is close to the naive script's (tsx + the Cognito library), so that no-op is subtracted.
    noopMs: ctx.noopNaiveMs,
    phases:
      result && ok
        ? { startupMs: result.startupMs, loginMs: result.loginMs, apiMs, tailMs: run.exit.exitAt - first - apiMs }
        : null,
    counters: c,
    listed: result?.listed ?? null,
    fetched: result?.details ?? null,
    peakRssKb: run.peakRssKb,
    cpu: {
      syncMs: selfMs,
      emulatorMs: emuMs,
      syncApiPct: selfApi === undefined || !ok ? null : (100 * selfApi) / apiMs,
      emulatorApiPct: emuApi === undefined || !ok ? null : (100 * emuApi) / apiMs,
      hostCores: host === undefined ? null : host / run.wallMs,
      otherCores: host === undefined || selfMs === null || emuMs === null ? null : (host - selfMs - emuMs) / run.wallMs,
    },
    boundMs: bound,
    apiMs,
    extra: { ideal: result ?? null },
  });
}
