/**
 * The benchmark's scenarios as one table, in the order that lets them share work: 1 (full sync) leaves
 * the database that 3 (unchanged re-sync) and 4 (2% changed) reuse and the time 7 (naive) is compared
 * with; 0, 3, 7, 4 and 2 (rate limit, last) run on 1's emulator; 5 and 6 get emulators of their own;
 * w (the write path alone) and m (the limiter matrix) need none.
 */
import { join } from 'node:path';
import { analyzeSync } from './analyze.js';
import { startEmulatorProcess } from './emulator-process.js';
import type { EmulatorProcess } from './emulator-process.js';
import { runIdeal } from './ideal-process.js';
import { matrixTable, runMatrix } from './limiter-matrix.js';
import { runNaive, runWritePath } from './naive-process.js';
import { runCopy } from './copy-process.js';
import { toResult } from './result.js';
import { scaleScenario } from './scale.js';
import { runSyncProcess } from './sync-process.js';
import { deadline, spec, syncScenario } from './sync-scenario.js';
import type { RunContext, ScenarioResult } from './types.js';

/** What a scenario's run gets: the context, its emulator (if any) and the results so far. */
interface Turn {
  ctx: RunContext;
  emu: EmulatorProcess;
  results: ScenarioResult[];
}

/**
 * One scenario: on which emulator it runs (shared: scenario 1's, with N issues and latency L; own: one
 * of its own with `issues` and no latency; none), which scenario it needs first, and how it runs.
 */
type Scenario = { id: string; needs?: string } & (
  | {
      emulator: 'shared' | 'own';
      issues?: (ctx: RunContext) => number;
      run: (t: Turn) => Promise<ScenarioResult | ScenarioResult[]>;
    }
  | { emulator: 'none'; run: (ctx: RunContext) => Promise<ScenarioResult> }
);

const mainDb = (ctx: RunContext): string => join(ctx.workDir, 'scenario1.db');

export const SCENARIOS: Scenario[] = [
  {
    id: '1',
    emulator: 'shared',
    run: ({ ctx, emu }) =>
      syncScenario(
        ctx,
        emu,
        mainDb(ctx),
        spec(ctx, '1', 'full sync', ctx.opts.n, ctx.opts.latencyMs, null, ctx.opts.n),
      ),
  },
  {
    id: '0',
    emulator: 'shared',
    run: ({ ctx, emu }) => {
      ctx.log(`scenario 0: calibration client (C ${ctx.concurrency}, no DB)`);
      return runIdeal(ctx, emu);
    },
  },
  { id: '3', emulator: 'shared', needs: '1', run: ({ ctx, emu }) => unchangedResync(ctx, emu) },
  {
    id: '7',
    emulator: 'shared',
    needs: '1',
    run: async ({ ctx, emu, results }) => {
      const { opts } = ctx;
      ctx.log(
        `scenario 7: naive baseline (${Number.isFinite(opts.naiveSample) ? `${opts.naiveSample} details, extrapolated to ${opts.n}` : 'all details'})`,
      );
      return (
        await runNaive(ctx, emu, join(ctx.workDir, 'naive.db'), {
          listOnly: false,
          baseline: results.find((r) => r.id === '1'),
        })
      ).scenario;
    },
  },
  {
    id: '4',
    emulator: 'shared',
    needs: '1',
    run: async ({ ctx, emu }) => {
      const { opts } = ctx;
      const changed = await emu.mutate(Math.round(opts.n * opts.changeShare));
      return syncScenario(
        ctx,
        emu,
        mainDb(ctx),
        spec(
          ctx,
          '4',
          `re-sync after ${+(opts.changeShare * 100).toFixed(2)}% changed`,
          opts.n,
          opts.latencyMs,
          null,
          changed,
        ),
      );
    },
  },
  { id: '2', emulator: 'shared', run: ({ ctx, emu }) => rateLimited(ctx, emu) },
  {
    id: '5',
    emulator: 'own',
    issues: (ctx) => ctx.opts.nWrite,
    run: ({ ctx, emu }) =>
      syncScenario(
        ctx,
        emu,
        join(ctx.workDir, 'scenario5.db'),
        spec(ctx, '5', 'write path end to end (L = 0)', ctx.opts.nWrite, 0, null, ctx.opts.nWrite),
      ),
  },
  // Scenario 6: a full sync of --n-scale issues and an unchanged re-sync of that mirror (bench/scale.ts).
  { id: '6', emulator: 'own', issues: (ctx) => ctx.opts.nScale, run: ({ ctx, emu }) => scaleScenario(ctx, emu) },
  {
    id: 'w',
    emulator: 'none',
    run: (ctx) => {
      ctx.log(`scenario w: bench/write-path${ctx.pgUrl ? '-postgres' : ''}.ts ${ctx.opts.nWrite}`);
      return runWritePath(ctx, ctx.opts.nWrite);
    },
  },
  { id: 'm', emulator: 'none', run: limiterMatrix },
  {
    id: 'c',
    emulator: 'none',
    run: (ctx) => {
      ctx.log(`scenario c: copy of an SQLite mirror of ${ctx.opts.nScale} issues into PostgreSQL`);
      return runCopy(ctx, ctx.opts.nScale);
    },
  },
  // Scenario b: memory under huge answers: 16 details of 30 MB each, fetched 16 at a time.
  { id: 'b', emulator: 'own', issues: () => HUGE.issues, run: ({ ctx, emu }) => hugeDetails(ctx, emu) },
];

/** Scenario b's shape: as many details as fetched at once, each this large. */
const HUGE = { issues: 16, concurrency: 16, padBytes: 30 * 1024 * 1024 };

/** Runs the selected scenarios (and what they need), in table order; results in order of execution. */
export async function runScenarios(ctx: RunContext): Promise<ScenarioResult[]> {
  const selected = SCENARIOS.filter(
    (s) => ctx.opts.scenarios.has(s.id) || SCENARIOS.some((o) => o.needs === s.id && ctx.opts.scenarios.has(o.id)),
  );
  const results: ScenarioResult[] = [];
  const push = (rs: ScenarioResult | ScenarioResult[]): void => {
    for (const r of Array.isArray(rs) ? rs : [rs]) {
      results.push(r);
      ctx.log(
        `  -> ${r.id} ${r.status}: ${(r.wallMs / 1000).toFixed(2)} s${r.problems.length > 0 ? ` (${r.problems.join('; ')})` : ''}`,
      );
    }
  };
  const shared = selected.flatMap((s) => (s.emulator === 'shared' ? [s] : []));
  if (shared.length > 0) {
    const emu = await startEmulatorProcess(ctx.repoRoot, { issues: ctx.opts.n, latencyMs: ctx.opts.latencyMs });
    try {
      for (const s of shared) push(await s.run({ ctx, emu, results }));
    } finally {
      await emu.close();
    }
  }
  for (const s of selected) {
    if (s.emulator === 'none') push(await s.run(ctx));
    if (s.emulator !== 'own') continue;
    const emu = await startEmulatorProcess(ctx.repoRoot, { issues: s.issues?.(ctx) ?? ctx.opts.n, latencyMs: 0 });
    try {
      push(await s.run({ ctx, emu, results }));
    } finally {
      await emu.close();
    }
  }
  return results;
}

/** Scenario 3, with its reference: the list pages alone, fetched sequentially by a minimal client. */
async function unchangedResync(ctx: RunContext, emu: EmulatorProcess): Promise<ScenarioResult> {
  const r = await syncScenario(
    ctx,
    emu,
    mainDb(ctx),
    spec(ctx, '3', 'unchanged re-sync of 1', ctx.opts.n, ctx.opts.latencyMs, null, 0),
  );
  ctx.log('scenario 3: list-only probe');
  const probe = await runNaive(ctx, emu, join(ctx.workDir, 'probe.db'), { listOnly: true });
  r.extra.listProbe = probe.result;
  if (probe.result && r.phases) {
    r.extra.apiVsListCost = r.phases.apiMs / probe.result.listMs;
    r.extra.netWallVsLoginAndList = r.netWallMs / (probe.result.loginMs + probe.result.listMs);
  }
  return r;
}

/** Scenario 2: a full sync under a token bucket of R requests/s with a burst of R. */
async function rateLimited(ctx: RunContext, emu: EmulatorProcess): Promise<ScenarioResult> {
  const { opts } = ctx;
  await emu.setKnobs({ rateLimit: { rps: opts.rate, burst: Math.max(1, Math.ceil(opts.rate)) } });
  try {
    const r = await syncScenario(
      ctx,
      emu,
      join(ctx.workDir, 'scenario2.db'),
      spec(ctx, '2', 'full sync, rate-limited', opts.n, opts.latencyMs, opts.rate, opts.n),
    );
    const ok = r.requests.list + r.requests.detail - r.requests.rateLimited;
    const total = r.requests.list + r.requests.detail;
    r.extra.sustainedRps = r.phases ? (ok * 1000) / r.phases.apiMs : null;
    r.extra.shareOfR = r.phases ? (ok * 1000) / r.phases.apiMs / opts.rate : null;
    r.extra.share429 = total > 0 ? r.requests.rateLimited / total : null;
    return r;
  } finally {
    await emu.setKnobs({ rateLimit: null });
  }
}

/** Scenario m: every limiter model (bench/limiter-matrix.ts), as one result whose extra holds the table's rows. */
async function limiterMatrix(ctx: RunContext): Promise<ScenarioResult> {
  const started = Date.now();
  const rows = await runMatrix(ctx);
  ctx.log(`scenario m:\n${matrixTable(rows)}`);
  const base = {
    id: 'm',
    title: 'limiter matrix (default settings)',
    n: rows.reduce((a, r) => a + r.n, 0),
    latencyMs: ctx.opts.latencyMs,
    rps: null,
    concurrency: ctx.concurrency,
    pageSize: ctx.pageSize,
  };
  const failed = rows.filter((r) => r.status !== 'ok').map((r) => `${r.model}: ${r.status}`);
  return toResult(base, {
    status: failed.length > 0 ? 'failed' : 'ok',
    problems: failed,
    wallMs: Date.now() - started,
    noopMs: 0,
    phases: null,
    counters: null,
    listed: null,
    fetched: null,
    peakRssKb: null,
    boundMs: null,
    extra: { matrix: rows },
  });
}

/** Scenario b: peak RSS of a sync whose every detail is 30 MB, 16 in flight (the bound is 1 GB). */
async function hugeDetails(ctx: RunContext, emu: EmulatorProcess): Promise<ScenarioResult> {
  const s = {
    ...spec(
      ctx,
      'b',
      `${HUGE.issues} details of ${HUGE.padBytes / 1024 / 1024} MiB, ${HUGE.concurrency} at once`,
      HUGE.issues,
      0,
      null,
      HUGE.issues,
    ),
    concurrency: HUGE.concurrency,
  };
  ctx.log(`scenario b: ${s.title}`);
  await emu.setKnobs({ detailPadBytes: HUGE.padBytes });
  await emu.reset();
  const run = await runSyncProcess({
    repoRoot: ctx.repoRoot,
    workDir: ctx.workDir,
    emulatorEnv: emu.env,
    dbPath: join(ctx.workDir, 'scenario-b.db'),
    concurrency: HUGE.concurrency,
    pageSize: ctx.opts.pageSize,
    timeoutMs: deadline(ctx, s),
    emulatorPid: emu.pid,
  });
  const r = analyzeSync(s, run, await emu.counters(), ctx.noopSyncMs);
  if (r.peakRssMb !== null && r.peakRssMb > 1024) {
    r.status = 'failed';
    r.problems.push(`peak RSS ${Math.round(r.peakRssMb)} MB, over the 1 GB bound`);
  }
  return r;
}
