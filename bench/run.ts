/**
 * `npm run bench`: measures speakup-sync against the physical bound of the API and against the naive
 * approach (issue 5). The emulator, every sync and the naive script run as separate processes on
 * 127.0.0.1; results go to stdout (Markdown) and a JSON file. See bench/args.ts for the options.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV_VARS } from '../src/config/env-vars.js';
import { USAGE, parseBenchArgs } from './args.js';
import { installCleanup, killAll } from './children.js';
import { checkTargets, markdown } from './report.js';
import { startBenchPostgres } from './postgres.js';
import { runScenarios } from './scenarios.js';
import { measureNoop } from './sync-process.js';
import type { BenchOptions, BenchReport } from './types.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function gitRevision(): string | null {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: repoRoot, encoding: 'utf8' }).trim() !== '';
    return `${rev}${dirty ? '+dirty' : ''}`;
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  let opts: BenchOptions | null;
  try {
    opts = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\nTry: npm run bench -- --help\n`);
    return 2;
  }
  if (opts === null) {
    process.stdout.write(USAGE);
    return 0;
  }
  const workDir = mkdtempSync(join(tmpdir(), 'speakup-bench-'));
  const cleanup = (): void => {
    if (!opts?.keep) rmSync(workDir, { recursive: true, force: true });
  };
  installCleanup(cleanup);
  const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
  const started = Date.now();
  try {
    log(`work dir ${workDir}; measuring no-op start-up`);
    const noopSyncMs = await measureNoop(process.execPath, [join(repoRoot, 'bin/speakup-sync.js'), '--help'], workDir);
    const noopNaiveMs = await measureNoop(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'bench/naive.ts'), '--help'],
      repoRoot,
    );
    const concurrency = opts.concurrency ?? Number(ENV_VARS.SPEAKUP_CONCURRENCY.default);
    const pageSize = opts.pageSize ?? Number(ENV_VARS.SPEAKUP_PAGE_SIZE.default);
    const pg = opts.db === 'postgres' ? startBenchPostgres() : undefined;
    let scenarios: Awaited<ReturnType<typeof runScenarios>>;
    try {
      const ctx = { repoRoot, workDir, opts, concurrency, pageSize, noopSyncMs, noopNaiveMs, log };
      scenarios = await runScenarios(pg ? { ...ctx, pgUrl: pg.url } : ctx);
    } finally {
      pg?.stop();
    }
    const report: BenchReport = {
      meta: {
        date: new Date().toISOString(),
        git: gitRevision(),
        node: process.version,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? null,
        loadavgAtStart: loadavg(),
        durationMs: Date.now() - started,
        options: {
          ...opts,
          scenarios: [...opts.scenarios],
          concurrencyEffective: concurrency,
          pageSizeEffective: pageSize,
        },
      },
      startup: { syncMs: noopSyncMs, naiveMs: noopNaiveMs },
      scenarios,
      targets: checkTargets(scenarios),
    };
    const out = resolve(repoRoot, opts.out);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${markdown(report)}\n`);
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; JSON: ${out}`);
    return scenarios.some((r) => r.status === 'failed' || r.status === 'timeout') ? 1 : 0;
  } finally {
    await killAll();
    cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    void killAll().finally(() => process.exit(1));
  },
);
