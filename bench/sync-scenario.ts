/** One sync scenario's spec and run against an emulator process: the building block of bench/scenarios.ts. */
import { basename } from 'node:path';
import { analyzeSync, boundMs } from './analyze.js';
import type { ScenarioSpec } from './analyze.js';
import type { EmulatorProcess } from './emulator-process.js';
import { runSyncProcess } from './sync-process.js';
import type { RunContext, ScenarioResult } from './types.js';

export function spec(
  ctx: RunContext,
  id: string,
  title: string,
  n: number,
  latencyMs: number,
  rps: number | null,
  expectDetails: number,
): ScenarioSpec {
  return { id, title, n, latencyMs, rps, concurrency: ctx.concurrency, pageSize: ctx.pageSize, expectDetails };
}

/** Deadline of one child: generous against the bound, never below 2 minutes or 2 ms per issue. */
export function deadline(ctx: RunContext, s: ScenarioSpec): number {
  return ctx.opts.timeoutMs ?? Math.max(120_000, 3 * boundMs(s) + 60_000, s.n * 2);
}

/** Runs `speakup-sync sync` once into `dbPath` (a schema of that name on PostgreSQL) and analyzes it. */
export async function syncScenario(
  ctx: RunContext,
  emu: EmulatorProcess,
  dbPath: string,
  s: ScenarioSpec,
): Promise<ScenarioResult> {
  ctx.log(
    `scenario ${s.id}: ${s.title} (N ${s.n}, L ${s.latencyMs} ms${s.rps ? `, R ${s.rps}/s` : ''}, C ${s.concurrency})`,
  );
  await emu.reset();
  const run = await runSyncProcess({
    repoRoot: ctx.repoRoot,
    workDir: ctx.workDir,
    emulatorEnv: emu.env,
    // On PostgreSQL each database file of the SQLite runs becomes a schema of its own name.
    ...(ctx.pgUrl ? { dbPath: ctx.pgUrl, dbSchema: `bench_${process.pid}_${basename(dbPath, '.db')}` } : { dbPath }),
    concurrency: ctx.opts.concurrency,
    pageSize: ctx.opts.pageSize,
    timeoutMs: deadline(ctx, s),
    emulatorPid: emu.pid,
  });
  return analyzeSync(s, run, await emu.counters(), ctx.noopSyncMs);
}
