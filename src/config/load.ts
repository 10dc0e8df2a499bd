/**
 * Reads the environment (and `.env` in the working directory; the real environment wins) once, validates
 * every variable against ENV_VARS, and returns a frozen Config. All problems are reported together.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import cron from 'node-cron';
import { ConfigError } from '../errors.js';
import { ALWAYS_REQUIRED, ENV_VARS, type EnvVar, type EnvVarName } from './env-vars.js';
import { defaultStaleAfterMs } from './duration.js';
import { readFieldMapFile, type FieldMap } from '../sync/field-map.js';
import type { AuthConfig, AuthKind, Config, DbConfig } from './types.js';

type Env = Record<string, string | undefined>;

/** Merge `.env` (if present in `cwd`) under the real environment. */
export function readEnv(env: Env, cwd: string): Env {
  const file = resolve(cwd, '.env');
  if (!existsSync(file)) return env;
  let parsed: Record<string, string>;
  try {
    parsed = parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch (err) {
    throw new ConfigError([`.env: cannot be read (${(err as Error).message}); fix or remove ${file}`]);
  }
  return { ...parsed, ...env };
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export interface LoadOptions {
  /** Directory of `.env` and base of relative paths; default process.cwd(). */
  cwd?: string;
  /** Read `.env` from cwd (default true). */
  dotenv?: boolean;
}

/** Validated values of the named variables (defaults applied), and one problem line per invalid one. */
function parseVars(env: Env, names: readonly EnvVarName[]): { values: Map<EnvVarName, unknown>; problems: string[] } {
  const problems: string[] = [];
  const values = new Map<EnvVarName, unknown>();
  for (const name of names) {
    const spec: EnvVar = ENV_VARS[name];
    const raw = env[name];
    const given = raw !== undefined && raw.trim() !== '';
    const source = given ? raw : spec.default;
    if (source === undefined) continue;
    const result = spec.schema.safeParse(source);
    if (result.success) values.set(name, result.data);
    else {
      const shown = spec.secret ? '' : ` (got ${JSON.stringify(raw)})`;
      problems.push(`${name}: expected ${spec.expect}${shown}`);
    }
  }
  return { values, problems };
}

/** Schedule checks node-cron's own parser does not express as a schema; pushes to `problems`. */
function checkSchedule(values: Map<EnvVarName, unknown>, problems: string[]): { cron: string | undefined; tz: string | undefined } {
  const cronExpr = values.get('SPEAKUP_SCHEDULE') as string | undefined;
  if (cronExpr && !cron.validate(cronExpr)) problems.push(`SPEAKUP_SCHEDULE: expected a cron expression such as "*/15 * * * *" (got ${JSON.stringify(cronExpr)})`);
  const tz = values.get('SPEAKUP_TIMEZONE') as string | undefined;
  if (tz && !isTimeZone(tz)) problems.push(`SPEAKUP_TIMEZONE: expected an IANA time zone such as Europe/Amsterdam (got ${JSON.stringify(tz)})`);
  return { cron: cronExpr, tz };
}

/** SPEAKUP_STALE_AFTER, or its default derived from the schedule. */
function staleAfter(values: Map<EnvVarName, unknown>, schedule: { cron: string; tz: string }): number {
  return (values.get('SPEAKUP_STALE_AFTER') as number | undefined) ?? defaultStaleAfterMs(schedule.cron, schedule.tz);
}

const DB_VARS: readonly EnvVarName[] = ['SPEAKUP_DB', 'SPEAKUP_STALE_AFTER', 'SPEAKUP_SCHEDULE', 'SPEAKUP_TIMEZONE', 'SPEAKUP_LOG_LEVEL'];

/**
 * The configuration of the database-only commands (`status`, `snapshot`): SPEAKUP_DB and the staleness
 * threshold. No API URL or credentials are read or required, so a monitoring user needs no secrets.
 */
export function loadDbConfig(rawEnv: Env, opts: LoadOptions = {}): DbConfig {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.dotenv === false ? rawEnv : readEnv(rawEnv, cwd);
  const { values, problems } = parseVars(env, DB_VARS);
  const schedule = checkSchedule(values, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze({
    dbPath: resolve(cwd, values.get('SPEAKUP_DB') as string),
    staleAfterMs: staleAfter(values, { cron: schedule.cron!, tz: schedule.tz! }),
    logLevel: values.get('SPEAKUP_LOG_LEVEL') as DbConfig['logLevel'],
    warnings: [],
  });
}

/** Parse and validate; throws ConfigError listing every problem. */
export function loadConfig(rawEnv: Env, opts: LoadOptions = {}): Config {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.dotenv === false ? rawEnv : readEnv(rawEnv, cwd);
  const { values, problems } = parseVars(env, Object.keys(ENV_VARS) as EnvVarName[]);
  const warnings: string[] = [];

  const need = (names: EnvVarName[]) => {
    for (const name of names) {
      if (!values.has(name) && !problems.some((p) => p.startsWith(`${name}:`))) {
        problems.push(`${name}: required, ${ENV_VARS[name].expect}`);
      }
    }
  };
  need([...ALWAYS_REQUIRED] as EnvVarName[]);
  const get = <T>(name: EnvVarName) => values.get(name) as T;
  // Undefined when SPEAKUP_AUTH itself is invalid: that is reported, and nothing can be said about the rest.
  const authKind = get<AuthKind | undefined>('SPEAKUP_AUTH');
  if (authKind) {
    const which = `SPEAKUP_AUTH=${authKind}${env['SPEAKUP_AUTH']?.trim() ? '' : ' (the default)'}`;
    for (const [name, spec] of Object.entries(ENV_VARS) as [EnvVarName, EnvVar][]) {
      if (!spec.requiredFor?.includes(authKind) || values.has(name) || problems.some((p) => p.startsWith(`${name}:`))) continue;
      problems.push(`${name}: required when ${which}, expected ${spec.expect}`);
    }
  }

  const allowInsecure = get<boolean>('SPEAKUP_ALLOW_INSECURE_HTTP');
  for (const name of ['SPEAKUP_API_URL', 'SPEAKUP_COGNITO_ENDPOINT', 'SPEAKUP_TOKEN_URL'] as const) {
    const value = get<string | undefined>(name);
    if (!value) continue;
    const u = new URL(value);
    if (u.username || u.password) problems.push(`${name}: must not carry credentials in the URL`);
    if (u.protocol === 'http:' && !isLoopbackHost(u.hostname)) {
      if (allowInsecure) warnings.push(`${name} uses plaintext http:// to ${u.hostname}: whistleblower data and tokens travel unencrypted (SPEAKUP_ALLOW_INSECURE_HTTP=1)`);
      else problems.push(`${name}: http:// is refused for non-loopback hosts; use https:// (or set SPEAKUP_ALLOW_INSECURE_HTTP=1, never in production)`);
    }
  }

  const { cron: cronExpr, tz } = checkSchedule(values, problems);
  const fieldMap = loadFieldMap(get<string | undefined>('SPEAKUP_FIELD_MAP'), cwd, problems);

  if (problems.length > 0) throw new ConfigError(problems);

  const auth = buildAuth(authKind!, get);
  const config: Config = {
    api: {
      baseUrl: get<string>('SPEAKUP_API_URL'),
      clientHeader: get<string>('SPEAKUP_CLIENT_HEADER'),
      clientSystem: get<string>('SPEAKUP_CLIENT_SYSTEM'),
      pageParam: get<string>('SPEAKUP_PAGE_PARAM'),
      pageSizeParam: get<string>('SPEAKUP_PAGE_SIZE_PARAM'),
      pageSize: get<number>('SPEAKUP_PAGE_SIZE'),
      concurrency: get<number>('SPEAKUP_CONCURRENCY'),
    },
    auth,
    retry: {
      timeoutMs: get<number>('SPEAKUP_TIMEOUT_MS'),
      maxAttempts: get<number>('SPEAKUP_MAX_ATTEMPTS'),
      baseDelayMs: get<number>('SPEAKUP_RETRY_BASE_MS'),
      maxRetryTimeMs: get<number>('SPEAKUP_MAX_RETRY_TIME_MS'),
    },
    dbPath: resolve(cwd, get<string>('SPEAKUP_DB')),
    schedule: { cron: cronExpr!, timezone: tz!, runAtStart: get<boolean>('SPEAKUP_RUN_AT_START') },
    maxDeleteShare: get<number>('SPEAKUP_MAX_DELETE_SHARE'),
    staleAfterMs: staleAfter(values, { cron: cronExpr!, tz: tz! }),
    metrics: { port: get<number | undefined>('SPEAKUP_METRICS_PORT'), host: get<string>('SPEAKUP_METRICS_HOST') },
    logLevel: get<Config['logLevel']>('SPEAKUP_LOG_LEVEL'),
    warnings,
    ...(fieldMap ? { fieldMap } : {}),
  };
  return deepFreeze(config);
}

/** The field map SPEAKUP_FIELD_MAP names (undefined = built-in paths); its problems join the others. */
function loadFieldMap(path: string | undefined, cwd: string, problems: string[]): FieldMap | undefined {
  if (path === undefined) return undefined;
  try {
    return readFieldMapFile(resolve(cwd, path));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
    return undefined;
  }
}

/** The provider's settings; only called once validation found nothing missing. */
function buildAuth(kind: AuthKind, get: <T>(name: EnvVarName) => T): AuthConfig {
  if (kind === 'client-credentials') {
    return {
      kind,
      tokenUrl: get<string>('SPEAKUP_TOKEN_URL'),
      clientId: get<string>('SPEAKUP_APP_CLIENT_ID'),
      clientSecret: get<string>('SPEAKUP_CLIENT_SECRET'),
      scopes: get<string[] | undefined>('SPEAKUP_SCOPES') ?? [],
    };
  }
  const poolId = get<string>('SPEAKUP_USER_POOL_ID');
  return {
    kind,
    userPoolId: poolId,
    appClientId: get<string>('SPEAKUP_APP_CLIENT_ID'),
    username: get<string>('SPEAKUP_USERNAME'),
    password: get<string>('SPEAKUP_PASSWORD'),
    region: get<string | undefined>('SPEAKUP_REGION') ?? poolId.split('_')[0]!,
    endpoint: get<string | undefined>('SPEAKUP_COGNITO_ENDPOINT'),
    flow: get<'USER_SRP_AUTH' | 'USER_PASSWORD_AUTH'>('SPEAKUP_AUTH_FLOW'),
  };
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function deepFreeze<T>(obj: T): T {
  for (const v of Object.values(obj as object)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(obj);
}
