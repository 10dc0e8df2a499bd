/**
 * Scenario c: `speakup-sync copy --to <postgres-url>` of an SQLite mirror of N issues (built first by
 * bench/make-mirror.ts, not timed), measured as a child process: wall time and peak RSS.
 */
import { join } from 'node:path';
import { runMeasured } from './measure.js';
import { toResult } from './result.js';
import type { RunContext, ScenarioResult } from './types.js';

export async function runCopy(ctx: RunContext, n: number): Promise<ScenarioResult> {
  if (!ctx.pgUrl) throw new Error('scenario c needs --db postgres');
  const dbPath = join(ctx.workDir, 'copy-source.db');
  const env = { PATH: process.env.PATH ?? '', HOME: ctx.workDir, TMPDIR: ctx.workDir };
  const timeoutMs = ctx.opts.timeoutMs ?? Math.max(300_000, n * 10);
  const made = await runMeasured({
    command: process.execPath,
    args: ['--import', 'tsx', 'bench/make-mirror.ts', dbPath, String(n)],
    cwd: ctx.repoRoot,
    env,
    timeoutMs,
  });
  if (made.exit.code !== 0) throw new Error(`bench/make-mirror.ts failed: ${made.stderrTail}`);
  ctx.log(`scenario c: mirror built in ${(made.wallMs / 1000).toFixed(1)} s; copying`);
  const run = await runMeasured({
    command: process.execPath,
    args: [
      join(ctx.repoRoot, 'bin/speakup-sync.js'),
      'copy',
      '--to',
      ctx.pgUrl,
      '--schema',
      `bench_copy_${process.pid}`,
    ],
    cwd: ctx.workDir,
    env: { ...env, SPEAKUP_DB: dbPath },
    timeoutMs,
  });
  const problems =
    run.exit.code === 0
      ? []
      : [`exit ${run.exit.code ?? run.exit.signal}: ${run.stderrTail.trim().split('\n').pop() ?? ''}`];
  const rate = (n * 1000) / run.wallMs;
  return toResult(
    {
      id: 'c',
      title: `copy of an SQLite mirror into PostgreSQL (${n} issues)`,
      n,
      latencyMs: 0,
      rps: null,
      concurrency: 1,
      pageSize: 0,
    },
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
      extra: { output: run.stdout.trim().split('\n') },
    },
  );
}
