/** Command line of `npm run bench`. */
import { parseArgs } from 'node:util';
import type { BenchOptions } from './types.js';

export const USAGE = `Usage: npm run bench -- [options]

Runs the real speakup-sync against the emulator (a separate process) and compares it with the
physical bound max(N·L/C, (N+pages)/R) + first page, and with the naive approach.

  --n N              issues of scenarios 1-4 and 7                (default 10000)
  --n-write N        issues of scenario 5 (L = 0)                 (default 20000)
  --n-scale N        issues of scenario 6 (L = 0, RSS): a full sync,
                     then an unchanged re-sync of that mirror     (default 100000)
  --scale-reference N  scenario 6 runs at N issues first too, and compares the
                     re-syncs' cost per issue (e.g. 100000 with --n-scale 1000000)  (default: not)
  --latency MS       API latency L of scenarios 1-4 and 7         (default 20)
  --rate RPS         rate limit R of scenario 2                   (default 200)
  --concurrency C    SPEAKUP_CONCURRENCY                          (default: the project's)
  --page-size S      SPEAKUP_PAGE_SIZE                            (default: the project's)
  --scenarios LIST   e.g. 1,3,7; extras: "0" a calibration client (no DB),
                     "w" the write path alone (bench/write-path.ts),
                     "m" the sync against each rate limiter model,
                     "b" 16 details of 30 MB, 16 at once (peak RSS)  (default 1,2,3,4,5,6,7)
  --models TEXT      scenario m: only the limiter models whose name holds TEXT
                     (e.g. "burst 1", "halves"; case-insensitive)  (default: all)
  --naive-sample N   details the naive baseline fetches before
                     extrapolating to N; "all" = no extrapolation (default 300)
  --change-share F   share of issues changed before scenario 4    (default 0.02)
  --timeout S        deadline of each child process, seconds      (default: from the bound)
  --db sqlite|postgres  the mirror: SQLite files, or schemas on PostgreSQL (SPEAKUP_BENCH_DATABASE_URL,
                     else a throwaway local server); with postgres, "c" times copy of an
                     SQLite mirror of --n-scale issues                (default sqlite)
  --out FILE         JSON results                  (default bench/results/latest.json)
  --keep             keep the temporary databases
  -h, --help         this text
`;

const OPTIONS = {
  n: { type: 'string' },
  'n-write': { type: 'string' },
  'n-scale': { type: 'string' },
  'scale-reference': { type: 'string' },
  latency: { type: 'string' },
  rate: { type: 'string' },
  concurrency: { type: 'string' },
  'page-size': { type: 'string' },
  scenarios: { type: 'string' },
  'naive-sample': { type: 'string' },
  'change-share': { type: 'string' },
  timeout: { type: 'string' },
  out: { type: 'string' },
  db: { type: 'string' },
  keep: { type: 'boolean' },
  models: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const SCENARIO_IDS = ['0', '1', '2', '3', '4', '5', '6', '7', 'w', 'm', 'c', 'b'];

/** Parses argv; returns null for --help; throws one Error listing every bad option. */
export function parseBenchArgs(argv: string[]): BenchOptions | null {
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  if (values.help) return null;
  const problems: string[] = [];
  const num = (flag: keyof typeof values, fallback: number, min: number, integer = true): number => {
    const raw = values[flag];
    if (typeof raw !== 'string') return fallback;
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
      problems.push(`--${flag}: expected ${integer ? 'an integer' : 'a number'} >= ${min} (got "${raw}")`);
    }
    return v;
  };
  const optional = (flag: 'concurrency' | 'page-size' | 'timeout'): number | undefined =>
    values[flag] === undefined ? undefined : num(flag, 0, 1);
  const scenarios = new Set(
    (values.scenarios ?? '1,2,3,4,5,6,7')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  for (const s of scenarios)
    if (!SCENARIO_IDS.includes(s))
      problems.push(`--scenarios: unknown scenario "${s}" (known: ${SCENARIO_IDS.join(', ')})`);
  const sample = values['naive-sample'] === 'all' ? Infinity : num('naive-sample', 300, 1);
  const share = num('change-share', 0.02, 0, false);
  if (share > 1) problems.push(`--change-share: expected a fraction from 0 to 1 (got ${share})`);
  const timeoutS = optional('timeout');
  const db = values.db ?? 'sqlite';
  if (db !== 'sqlite' && db !== 'postgres') problems.push(`--db: expected sqlite or postgres (got "${db}")`);
  if (values['scale-reference'] !== undefined && !scenarios.has('6'))
    problems.push('--scale-reference: compares runs of scenario 6, which --scenarios leaves out');
  if (values.models !== undefined && !scenarios.has('m'))
    problems.push('--models: picks rows of scenario m, which --scenarios leaves out');
  if (scenarios.has('c') && db !== 'postgres')
    problems.push('--scenarios: "c" (copy into PostgreSQL) needs --db postgres');
  const opts: BenchOptions = {
    n: num('n', 10_000, 1),
    nWrite: num('n-write', 20_000, 1),
    nScale: num('n-scale', 100_000, 1),
    scaleReference: values['scale-reference'] === undefined ? undefined : num('scale-reference', 0, 1),
    latencyMs: num('latency', 20, 0, false),
    rate: num('rate', 200, 1, false),
    concurrency: optional('concurrency'),
    pageSize: optional('page-size'),
    scenarios,
    naiveSample: sample,
    changeShare: share,
    timeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000,
    out: values.out ?? 'bench/results/latest.json',
    keep: values.keep ?? false,
    db: db === 'postgres' ? 'postgres' : 'sqlite',
    models: values.models?.toLowerCase(),
  };
  if (problems.length > 0) throw new Error(`invalid options:\n  ${problems.join('\n  ')}`);
  return opts;
}
