/** Types shared by the benchmark's modules. */

/** Parsed command line of `npm run bench`. */
export interface BenchOptions {
  /** N of scenarios 1–4 and 7. */
  n: number;
  /** N of scenario 5 (write path end to end) and 6 (scale). */
  nWrite: number;
  nScale: number;
  /** Scenario 6 also runs at this N first, to compare the re-sync's cost per issue (undefined: not). */
  scaleReference: number | undefined;
  latencyMs: number;
  /** R of scenario 2, requests per second. */
  rate: number;
  /** SPEAKUP_CONCURRENCY; undefined = the project's default (reported as such). */
  concurrency: number | undefined;
  /** SPEAKUP_PAGE_SIZE; undefined = the project's default. */
  pageSize: number | undefined;
  /** Scenario ids to run: "1".."7", "0" for the calibration client, "w" for the write path alone, "m" for the limiter matrix. */
  scenarios: Set<string>;
  /** Details the naive baseline actually fetches before extrapolating to N (Infinity = all). */
  naiveSample: number;
  /** Share of issues changed before scenario 4. */
  changeShare: number;
  /** Per-scenario deadline override, ms. */
  timeoutMs: number | undefined;
  /** The mirror's database: SQLite files, or schemas on a PostgreSQL server (--db postgres). */
  db: 'sqlite' | 'postgres';
  /** Scenario m runs only the models whose name holds this (lower case); undefined = every model. */
  models: string | undefined;
  out: string;
  keep: boolean;
}

/** Where and with what defaults the scenarios run. */
export interface RunContext {
  repoRoot: string;
  /** Temporary directory for databases and as the children's cwd. */
  workDir: string;
  opts: BenchOptions;
  /** Effective concurrency and page size (the option, else the project's default). */
  concurrency: number;
  pageSize: number;
  noopSyncMs: number;
  noopNaiveMs: number;
  /** With --db postgres: the server's URL (each scenario's mirror is a schema there). */
  pgUrl?: string;
  /** Progress lines (stderr). */
  log: (line: string) => void;
}

/** Timings of the sync's life, from its logs and the emulator's request arrival times (ms). */
export interface Phases {
  /** Spawn → "sync started": node + tsx + module loading + config + DB open/migrate + run lock. */
  startupMs: number;
  /** "sync started" → first API request: the Cognito login. */
  loginMs: number;
  /** First API request → last API answer (last arrival + L). */
  apiMs: number;
  /** Last API answer → process exit: last writes, deletions, run log, close. */
  tailMs: number;
}

/** What a scenario is and what a correct run of it must show. */
export interface ScenarioSpec {
  id: string;
  title: string;
  n: number;
  latencyMs: number;
  rps: number | null;
  concurrency: number;
  pageSize: number;
  /** Details a correct run fetches (N for a full sync, 0 for an unchanged re-sync). */
  expectDetails: number;
}

/** One benchmark scenario's results. */
export interface ScenarioResult extends Omit<ScenarioSpec, 'expectDetails'> {
  /** ok; failed (bad exit); timeout; mismatch (ran, but the counts are not what the scenario expects). */
  status: 'ok' | 'failed' | 'timeout' | 'mismatch';
  problems: string[];
  wallMs: number;
  /** wallMs minus the measured no-op start-up. */
  netWallMs: number;
  phases: Phases | null;
  requests: { list: number; detail: number; other: number; rateLimited: number; detailIds: number };
  listed: number | null;
  fetched: number | null;
  /** N / wall, including and excluding the no-op start-up. */
  issuesPerSec: { incl: number; excl: number };
  peakRssMb: number | null;
  cpu: {
    /** CPU ms and share of one core over the whole run. */
    syncMs: number | null;
    emulatorMs: number | null;
    /** Share of one core during the API window. */
    syncApiPct: number | null;
    emulatorApiPct: number | null;
    /** Cores busy host-wide (all processes, including other users of the machine) over the run. */
    hostCores: number | null;
    /** hostCores minus sync and emulator: the benchmark harness and anything else running on the machine. */
    otherCores: number | null;
  };
  boundMs: number | null;
  /** bound / time: incl. = end-to-end wall, excl. = wall minus no-op start-up, api = API window only. */
  ratio: { incl: number | null; excl: number | null; api: number | null };
  extra: Record<string, unknown>;
}

/** All results of one benchmark run. */
export interface BenchReport {
  meta: Record<string, unknown>;
  /** No-op start-up (median wall of `--help`), ms. */
  startup: { syncMs: number; naiveMs: number };
  scenarios: ScenarioResult[];
  targets: Array<{ target: string; measured: string; met: boolean | null }>;
}
