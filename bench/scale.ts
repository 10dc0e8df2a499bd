/**
 * Scenario 6, growth: a full sync of --n-scale issues (L = 0) and then an unchanged re-sync of the same
 * mirror, each with its wall time, CPU and peak RSS, and the re-sync's cost per issue. With
 * --scale-reference R the same pair runs first at R issues (an emulator of its own), so the two re-syncs'
 * costs per issue can be compared in one invocation (checkTargets in bench/report.ts).
 */
import { join } from 'node:path';
import { startEmulatorProcess, type EmulatorProcess } from './emulator-process.js';
import { spec, syncScenario } from './sync-scenario.js';
import type { RunContext, ScenarioResult } from './types.js';

/** Id suffix of the reference pair's rows. */
export const REFERENCE_SUFFIX = '-ref';

/** Microseconds of wall time and of the sync's CPU per issue listed. */
export interface PerIssue {
  wallUs: number;
  cpuUs: number | null;
}

/** Both pairs' rows: reference first (when asked), then N's full sync and re-sync. */
export async function scaleScenario(ctx: RunContext, emu: EmulatorProcess): Promise<ScenarioResult[]> {
  const out: ScenarioResult[] = [];
  const ref = ctx.opts.scaleReference;
  if (ref !== undefined) {
    ctx.log(`scenario 6: reference pair at N ${ref} (--scale-reference)`);
    const refEmu = await startEmulatorProcess(ctx.repoRoot, { issues: ref, latencyMs: 0 });
    try {
      out.push(...(await fullThenResync(ctx, refEmu, ref, REFERENCE_SUFFIX)));
    } finally {
      await refEmu.close();
    }
  }
  out.push(...(await fullThenResync(ctx, emu, ctx.opts.nScale, '')));
  return out;
}

/** Rows 6 and 6r (with `suffix`): the re-sync only after a full sync that ran. */
async function fullThenResync(
  ctx: RunContext,
  emu: EmulatorProcess,
  n: number,
  suffix: string,
): Promise<ScenarioResult[]> {
  const db = join(ctx.workDir, `scenario6${suffix}.db`);
  const full = await syncScenario(ctx, emu, db, spec(ctx, `6${suffix}`, 'scale: full sync (L = 0)', n, 0, null, n));
  full.extra.perIssue = perIssue(full);
  if (full.status !== 'ok' && full.status !== 'mismatch') return [full];
  const title = `scale: unchanged re-sync of 6${suffix} (L = 0)`;
  const resync = await syncScenario(ctx, emu, db, spec(ctx, `6r${suffix}`, title, n, 0, null, 0));
  resync.extra.perIssue = perIssue(resync);
  return [full, resync];
}

function perIssue(r: ScenarioResult): PerIssue {
  return {
    wallUs: (r.wallMs * 1000) / r.n,
    cpuUs: r.cpu.syncMs === null ? null : (r.cpu.syncMs * 1000) / r.n,
  };
}
