/**
 * Reads the environment (and `.env` in the working directory; the real environment wins) once, validates
 * it against the configuration schema (schema.ts), and returns a frozen Config. All problems are
 * reported together, one line each: `SPEAKUP_X: expected …`, never echoing a secret.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type * as z from 'zod';
import { ConfigError } from '../errors.js';
import { readFieldMapFile, type FieldMap } from '../sync/ports.js';
import { ALWAYS_REQUIRED, ENV_VARS, type EnvVar, type EnvVarName } from './env-vars.js';
import { configSchema, dbConfigSchema, RULE, type Draft } from './schema.js';
import type { Config, DbConfig } from './types.js';

export { isLoopbackHost } from './schema.js';

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

export interface LoadOptions {
  /** Directory of `.env` and base of relative paths; default process.cwd(). */
  cwd?: string;
  /** Read `.env` from cwd (default true). */
  dotenv?: boolean;
}

/** The value of a variable, when it is set to something other than blanks. */
function given(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw !== undefined && raw.trim() !== '' ? raw : undefined;
}

/** The schema's input: every variable of ENV_VARS that is set, or else its default (parsed alike). */
function schemaInput(env: Env): Record<string, string> {
  const input: Record<string, string> = {};
  for (const [name, spec] of Object.entries(ENV_VARS) as [EnvVarName, EnvVar][]) {
    const value = given(env, name) ?? spec.default;
    if (value !== undefined) input[name] = value;
  }
  return input;
}

/** One line per problem, in the schema's order; several issues about one value make one line. */
function problemLines(error: z.ZodError, env: Env): string[] {
  const lines = new Set<string>();
  const reported = new Set<string>();
  for (const issue of error.issues) {
    const name = String(issue.path[0] ?? '');
    if (!(name in ENV_VARS)) lines.add(name ? `${name}: ${issue.message}` : issue.message);
    else if (issue.code === 'custom' && issue.params?.['kind'] === RULE) lines.add(`${name}: ${issue.message}`);
    else if (!reported.has(name)) {
      reported.add(name);
      lines.add(valueProblem(name as EnvVarName, env));
    }
  }
  return [...lines];
}

/** "required" when the variable is unset, else what was expected (and what came, unless it is a secret). */
function valueProblem(name: EnvVarName, env: Env): string {
  const spec: EnvVar = ENV_VARS[name];
  const raw = given(env, name);
  if (raw !== undefined)
    return `${name}: expected ${spec.expect}${spec.secret ? '' : ` (got ${JSON.stringify(env[name])})`}`;
  if (ALWAYS_REQUIRED.has(name)) return `${name}: required, ${spec.expect}`;
  // Only the token provider's own variables are required beyond ALWAYS_REQUIRED.
  const kind = given(env, 'SPEAKUP_AUTH') ?? `${ENV_VARS.SPEAKUP_AUTH.default} (the default)`;
  return `${name}: required when SPEAKUP_AUTH=${kind}, expected ${spec.expect}`;
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

/** Parse and validate; throws ConfigError listing every problem. */
export function loadConfig(rawEnv: Env, opts: LoadOptions = {}): Config {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.dotenv === false ? rawEnv : readEnv(rawEnv, cwd);
  const result = configSchema.safeParse(schemaInput(env));
  const problems = result.success ? [] : problemLines(result.error, env);
  const fieldMap = loadFieldMap(given(env, 'SPEAKUP_FIELD_MAP')?.trim(), cwd, problems);
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  const { fieldMapPath: _path, ...config } = result.data;
  const dbPath = config.postgres ? config.dbPath : resolve(cwd, config.dbPath);
  return settle({ ...config, dbPath, ...(fieldMap ? { fieldMap } : {}) });
}

/**
 * The configuration of the database-only commands (`status`, `snapshot`): SPEAKUP_DB and the staleness
 * threshold. No API URL or credentials are read or required, so a monitoring user needs no secrets.
 */
export function loadDbConfig(rawEnv: Env, opts: LoadOptions = {}): DbConfig {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.dotenv === false ? rawEnv : readEnv(rawEnv, cwd);
  const result = dbConfigSchema.safeParse(schemaInput(env));
  if (!result.success) throw new ConfigError(problemLines(result.error, env));
  const data = result.data;
  return settle({ ...data, dbPath: data.postgres ? data.dbPath : resolve(cwd, data.dbPath) });
}

/** The frozen configuration, with `staleAfterMs` computed on its first read (schema.ts, Draft). */
function settle<T extends DbConfig>(draft: Draft<T>): T {
  const { staleAfter, ...config } = draft;
  let staleAfterMs: number | undefined;
  Object.defineProperty(config, 'staleAfterMs', { enumerable: true, get: () => (staleAfterMs ??= staleAfter()) });
  return deepFreeze(config as unknown as T);
}

/** Freezes `obj` and the objects its data properties hold (an accessor is not read). */
function deepFreeze<T>(obj: T): T {
  for (const d of Object.values(Object.getOwnPropertyDescriptors(obj))) {
    const v: unknown = d.value;
    if (v && typeof v === 'object') deepFreeze(v);
  }
  return Object.freeze(obj);
}
