/**
 * The benchmark's scenarios (issue 5), in the order that lets them share work: 1 (full sync) leaves the
 * database that 3 (unchanged re-sync) and 4 (2% changed) reuse; 7 (naive) runs on 1's data; 2 (rate
 * limit) last on that emulator; 5 and 6 get emulators of their own.
 */
import { join } from 'node:path';
import { analyzeSync, boundMs } from './analyze.js';
import type { ScenarioSpec } from './analyze.js';
import { startEmulatorProcess } from './emulator-process.js';
import type { EmulatorProcess } from './emulator-process.js';
import { runIdeal } from './ideal-process.js';
import { runNaive, runWritePath } from './naive-process.js';
import { runSyncProcess } from './sync-process.js';
import { matrixTable, runMatrix } from './limiter-matrix.js';
import { toResult } from './result.js';
import type { RunContext, ScenarioResult } from './types.js';

/** Runs the selected scenarios; results in scenario order of execution. */
export async function runScenarios(ctx: RunContext): Promise<ScenarioResult[]> {
  const { opts } = ctx;
  const want = (id: string): boolean => opts.scenarios.has(id);
  const results: ScenarioResult[] = [];
  const push = (r: ScenarioResult): void => {
    results.push(r);
    ctx.log(`  -> ${r.status}: ${(r.wallMs / 1000).toFixed(2)} s${r.problems.length > 0 ? ` (${r.problems.join('; ')})` : ''}`);
  };

  if (['0', '1', '2', '3', '4', '7'].some(want)) {
    const emu = await startEmulatorProcess(ctx.repoRoot, { issues: opts.n, latencyMs: opts.latencyMs });
    try {
      const mainDb = join(ctx.workDir, 'scenario1.db');
      // 3, 4 and 7 need scenario 1 (its database, or its time for the speed-up): it always runs with them.
      if (['1', '3', '4', '7'].some(want)) {
        push(await syncScenario(ctx, emu, mainDb, spec(ctx, '1', 'full sync', opts.n, opts.latencyMs, null, opts.n)));
      }
      if (want('0')) {
        ctx.log(`scenario 0: calibration client (C ${ctx.concurrency}, no DB)`);
        push(await runIdeal(ctx, emu));
      }
      if (want('3')) {
        const r = await syncScenario(ctx, emu, mainDb, spec(ctx, '3', 'unchanged re-sync of 1', opts.n, opts.latencyMs, null, 0));
        // The reference: the list pages alone, fetched sequentially by a minimal client.
        ctx.log('scenario 3: list-only probe');
        const probe = await runNaive(ctx, emu, join(ctx.workDir, 'probe.db'), { listOnly: true });
        r.extra.listProbe = probe.result;
        if (probe.result && r.phases) {
          r.extra.apiVsListCost = r.phases.apiMs / probe.result.listMs;
          r.extra.netWallVsLoginAndList = r.netWallMs / (probe.result.loginMs + probe.result.listMs);
        }
        push(r);
      }
      if (want('7')) {
        ctx.log(`scenario 7: naive baseline (${Number.isFinite(opts.naiveSample) ? `${opts.naiveSample} details, extrapolated to ${opts.n}` : 'all details'})`);
        const s1 = results.find((r) => r.id === '1');
        push(await runNaive(ctx, emu, join(ctx.workDir, 'naive.db'), { listOnly: false, baseline: s1 }).then((n) => n.scenario));
      }
      if (want('4')) {
        const changed = await emu.mutate(Math.round(opts.n * opts.changeShare));
        push(await syncScenario(ctx, emu, mainDb, spec(ctx, '4', `re-sync after ${+(opts.changeShare * 100).toFixed(2)}% changed`, opts.n, opts.latencyMs, null, changed)));
      }
      if (want('2')) {
        await emu.setKnobs({ rateLimit: { rps: opts.rate, burst: Math.max(1, Math.ceil(opts.rate)) } });
        const r = await syncScenario(ctx, emu, join(ctx.workDir, 'scenario2.db'), spec(ctx, '2', 'full sync, rate-limited', opts.n, opts.latencyMs, opts.rate, opts.n));
        const ok = r.requests.list + r.requests.detail - r.requests.rateLimited;
        const total = r.requests.list + r.requests.detail;
        r.extra.sustainedRps = r.phases ? (ok * 1000) / r.phases.apiMs : null;
        r.extra.shareOfR = r.phases ? (ok * 1000) / r.phases.apiMs / opts.rate : null;
        r.extra.share429 = total > 0 ? r.requests.rateLimited / total : null;
        push(r);
        await emu.setKnobs({ rateLimit: null });
      }
    } finally {
      await emu.close();
    }
  }
  for (const [id, n, title] of [['5', opts.nWrite, 'write path end to end (L = 0)'], ['6', opts.nScale, 'scale (L = 0)']] as const) {
    if (!want(id)) continue;
    const emu = await startEmulatorProcess(ctx.repoRoot, { issues: n, latencyMs: 0 });
    try {
      push(await syncScenario(ctx, emu, join(ctx.workDir, `scenario${id}.db`), spec(ctx, id, title, n, 0, null, n)));
    } finally {
      await emu.close();
    }
  }
  if (want('m')) {
    const started = Date.now();
    const rows = await runMatrix(ctx);
    ctx.log(`scenario m:\n${matrixTable(rows)}`);
    const base = { id: 'm', title: 'limiter matrix (default settings)', n: rows.reduce((a, r) => a + r.n, 0), latencyMs: opts.latencyMs, rps: null, concurrency: ctx.concurrency, pageSize: ctx.pageSize };
    const failed = rows.filter((r) => r.status !== 'ok').map((r) => `${r.model}: ${r.status}`);
    push(toResult(base, { status: failed.length > 0 ? 'failed' : 'ok', problems: failed, wallMs: Date.now() - started, noopMs: 0, phases: null, counters: null, listed: null, fetched: null, peakRssKb: null, boundMs: null, extra: { matrix: rows } }));
  }
  if (want('w')) {
    ctx.log(`scenario w: bench/write-path.ts ${opts.nWrite}`);
    push(await runWritePath(ctx, opts.nWrite));
  }
  return results;
}

function spec(ctx: RunContext, id: string, title: string, n: number, latencyMs: number, rps: number | null, expectDetails: number): ScenarioSpec {
  return { id, title, n, latencyMs, rps, concurrency: ctx.concurrency, pageSize: ctx.pageSize, expectDetails };
}

/** Deadline of one child: generous against the bound, never below 2 minutes or 2 ms per issue. */
function deadline(ctx: RunContext, s: ScenarioSpec): number {
  return ctx.opts.timeoutMs ?? Math.max(120_000, 3 * boundMs(s) + 60_000, s.n * 2);
}

async function syncScenario(ctx: RunContext, emu: EmulatorProcess, dbPath: string, s: ScenarioSpec): Promise<ScenarioResult> {
  ctx.log(`scenario ${s.id}: ${s.title} (N ${s.n}, L ${s.latencyMs} ms${s.rps ? `, R ${s.rps}/s` : ''}, C ${s.concurrency})`);
  await emu.reset();
  const run = await runSyncProcess({
    repoRoot: ctx.repoRoot,
    workDir: ctx.workDir,
    emulatorEnv: emu.env,
    dbPath,
    concurrency: ctx.opts.concurrency,
    pageSize: ctx.opts.pageSize,
    timeoutMs: deadline(ctx, s),
    emulatorPid: emu.pid,
  });
  return analyzeSync(s, run, await emu.counters(), ctx.noopSyncMs);
}
