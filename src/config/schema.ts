/**
 * The whole configuration as one zod schema over the environment: the variables every command reads,
 * intersected with a discriminated union on SPEAKUP_AUTH (each provider declares what it requires; the
 * other providers' variables are ignored), plus the rules that span variables (URLs). Its output is the
 * typed Config (database path still relative to the working directory). Field schemas come from ENV_VARS.
 */
import { isIP } from 'node:net';
import * as z from 'zod';
import { defaultStaleAfterMs } from './duration.js';
import { ENV_VARS as V } from './env-vars.js';
import { isPostgresUrl, parsePostgresUrl } from '../db/postgres/url.js';
import { ConfigError } from '../errors.js';
import type { AuthConfig, Config, DbConfig, PostgresDbConfig } from './types.js';

/**
 * The variables of the database-only commands (`status`, `snapshot`): no API settings, no credentials.
 * Field order is the order problems are listed in; the schedule's come last, as they always have.
 */
const scheduleFields = {
  SPEAKUP_SCHEDULE: V.SPEAKUP_SCHEDULE.schema,
  SPEAKUP_TIMEZONE: V.SPEAKUP_TIMEZONE.schema,
};
const storeFields = {
  SPEAKUP_DB: V.SPEAKUP_DB.schema,
  SPEAKUP_DB_SCHEMA: V.SPEAKUP_DB_SCHEMA.schema,
  SPEAKUP_DB_ALLOW_PLAINTEXT: V.SPEAKUP_DB_ALLOW_PLAINTEXT.schema,
  SPEAKUP_STALE_AFTER: V.SPEAKUP_STALE_AFTER.schema.optional(),
  SPEAKUP_PARTIAL_ALERT_AFTER: V.SPEAKUP_PARTIAL_ALERT_AFTER.schema,
  SPEAKUP_LOG_LEVEL: V.SPEAKUP_LOG_LEVEL.schema,
};
const dbFields = { ...storeFields, ...scheduleFields };

const commonFields = {
  ...storeFields,
  SPEAKUP_API_URL: V.SPEAKUP_API_URL.schema,
  SPEAKUP_CLIENT_SYSTEM: V.SPEAKUP_CLIENT_SYSTEM.schema,
  SPEAKUP_CLIENT_HEADER: V.SPEAKUP_CLIENT_HEADER.schema,
  SPEAKUP_RUN_AT_START: V.SPEAKUP_RUN_AT_START.schema,
  SPEAKUP_CONCURRENCY: V.SPEAKUP_CONCURRENCY.schema,
  SPEAKUP_PAGE_SIZE: V.SPEAKUP_PAGE_SIZE.schema,
  SPEAKUP_PAGE_PARAM: V.SPEAKUP_PAGE_PARAM.schema,
  SPEAKUP_PAGE_SIZE_PARAM: V.SPEAKUP_PAGE_SIZE_PARAM.schema,
  SPEAKUP_MAX_DETAIL_BYTES: V.SPEAKUP_MAX_DETAIL_BYTES.schema,
  SPEAKUP_LOCK_STALE_AFTER: V.SPEAKUP_LOCK_STALE_AFTER.schema,
  SPEAKUP_TIMEOUT_MS: V.SPEAKUP_TIMEOUT_MS.schema,
  SPEAKUP_MAX_ATTEMPTS: V.SPEAKUP_MAX_ATTEMPTS.schema,
  SPEAKUP_RETRY_BASE_MS: V.SPEAKUP_RETRY_BASE_MS.schema,
  SPEAKUP_MAX_RETRY_TIME_MS: V.SPEAKUP_MAX_RETRY_TIME_MS.schema,
  SPEAKUP_MAX_DELETE_SHARE: V.SPEAKUP_MAX_DELETE_SHARE.schema,
  SPEAKUP_ALLOW_INSECURE_HTTP: V.SPEAKUP_ALLOW_INSECURE_HTTP.schema,
  SPEAKUP_METRICS_PORT: V.SPEAKUP_METRICS_PORT.schema.optional(),
  SPEAKUP_METRICS_HOST: V.SPEAKUP_METRICS_HOST.schema,
  SPEAKUP_FIELD_MAP: V.SPEAKUP_FIELD_MAP.schema.optional(),
  SPEAKUP_RECONCILE_SCHEDULE: V.SPEAKUP_RECONCILE_SCHEDULE.schema,
  SPEAKUP_PURGE_DELETED_AFTER: V.SPEAKUP_PURGE_DELETED_AFTER.schema,
  SPEAKUP_EXCLUDE: V.SPEAKUP_EXCLUDE.schema.optional(),
  ...scheduleFields,
};

/** A service account in the Cognito user pool (`password`, `amplify`). Field order = problem order. */
const cognitoUserFields = {
  SPEAKUP_USER_POOL_ID: V.SPEAKUP_USER_POOL_ID.schema,
  SPEAKUP_APP_CLIENT_ID: V.SPEAKUP_APP_CLIENT_ID.schema,
  SPEAKUP_USERNAME: V.SPEAKUP_USERNAME.schema,
  SPEAKUP_PASSWORD: V.SPEAKUP_PASSWORD.schema,
  SPEAKUP_REGION: V.SPEAKUP_REGION.schema.optional(),
  SPEAKUP_COGNITO_ENDPOINT: V.SPEAKUP_COGNITO_ENDPOINT.schema.optional(),
  SPEAKUP_AUTH_FLOW: V.SPEAKUP_AUTH_FLOW.schema,
};

const authUnion = z.discriminatedUnion('SPEAKUP_AUTH', [
  z.object({ SPEAKUP_AUTH: z.literal('password'), ...cognitoUserFields }),
  z.object({ SPEAKUP_AUTH: z.literal('amplify'), ...cognitoUserFields }),
  z.object({
    SPEAKUP_AUTH: z.literal('client-credentials'),
    SPEAKUP_APP_CLIENT_ID: V.SPEAKUP_APP_CLIENT_ID.schema,
    SPEAKUP_TOKEN_URL: V.SPEAKUP_TOKEN_URL.schema,
    SPEAKUP_CLIENT_SECRET: V.SPEAKUP_CLIENT_SECRET.schema,
    SPEAKUP_SCOPES: V.SPEAKUP_SCOPES.schema.optional(),
  }),
]);

const commonFieldsObject = z.object(commonFields);
type Vars = z.output<typeof commonFieldsObject> & z.output<typeof authUnion>;

/** The variables that hold a URL the program connects to (when the provider uses it). */
const URL_VARS = ['SPEAKUP_API_URL', 'SPEAKUP_COGNITO_ENDPOINT', 'SPEAKUP_TOKEN_URL'] as const;

/** A problem that is not about one value's format: its message is the whole text after the name. */
export const RULE = 'rule';

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * URLs must not carry credentials, and plaintext http:// is for loopback only unless explicitly allowed.
 * Runs even when other variables are invalid (all problems are listed at once), skipping any URL that
 * is itself invalid.
 */
function checkUrls(vars: Record<string, unknown>, ctx: z.core.$RefinementCtx): void {
  const invalid = new Set(ctx.issues.map((i) => i.path?.[0]));
  const problem = (name: string, message: string) =>
    ctx.addIssue({ code: 'custom', path: [name], message, params: { kind: RULE } });
  for (const name of URL_VARS) {
    const value = vars[name];
    if (typeof value !== 'string' || invalid.has(name) || !URL.canParse(value)) continue;
    // With an unknown provider nothing is known about which other URLs are in use.
    if (name !== 'SPEAKUP_API_URL' && invalid.has('SPEAKUP_AUTH')) continue;
    const u = new URL(value);
    if (u.username || u.password) problem(name, 'must not carry credentials in the URL');
    if (u.protocol === 'http:' && !isLoopbackHost(u.hostname) && vars['SPEAKUP_ALLOW_INSECURE_HTTP'] !== true) {
      problem(
        name,
        'http:// is refused for non-loopback hosts; use https:// (or set SPEAKUP_ALLOW_INSECURE_HTTP=1, never in production)',
      );
    }
  }
}

/**
 * SPEAKUP_DB as a PostgreSQL URL: parsable, and encrypted to any other host unless plaintext is allowed.
 * The problem never holds the password (parsePostgresUrl prints the redacted URL).
 */
function checkDbUrl(vars: Record<string, unknown>, ctx: z.core.$RefinementCtx): void {
  const value = vars['SPEAKUP_DB'];
  if (typeof value !== 'string' || !isPostgresUrl(value)) return;
  try {
    parsePostgresUrl(value, { allowPlaintext: vars['SPEAKUP_DB_ALLOW_PLAINTEXT'] === true });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) {
      const message = p.replace(/^SPEAKUP_DB: /, '');
      ctx.addIssue({ code: 'custom', path: ['SPEAKUP_DB'], message, params: { kind: RULE } });
    }
  }
}

/** The PostgreSQL side of the configuration, when SPEAKUP_DB is a URL (checked by checkDbUrl). */
function toPostgres(v: z.output<z.ZodObject<typeof storeFields>>): PostgresDbConfig | undefined {
  if (!isPostgresUrl(v.SPEAKUP_DB)) return undefined;
  const target = parsePostgresUrl(v.SPEAKUP_DB, { allowPlaintext: v.SPEAKUP_DB_ALLOW_PLAINTEXT });
  return { target, schema: v.SPEAKUP_DB_SCHEMA };
}

/** Warnings for the plaintext URLs SPEAKUP_ALLOW_INSECURE_HTTP let through. */
function insecureWarnings(vars: Vars): string[] {
  const urls: Partial<Record<(typeof URL_VARS)[number], string | undefined>> = vars;
  return URL_VARS.flatMap((name) => {
    const value = urls[name];
    const host = value === undefined ? undefined : new URL(value);
    if (!host || host.protocol !== 'http:' || isLoopbackHost(host.hostname)) return [];
    return [
      `${name} uses plaintext http:// to ${host.hostname}: whistleblower data and tokens travel unencrypted (SPEAKUP_ALLOW_INSECURE_HTTP=1)`,
    ];
  });
}

function toAuth(v: z.output<typeof authUnion>): AuthConfig {
  if (v.SPEAKUP_AUTH === 'client-credentials') {
    return {
      kind: v.SPEAKUP_AUTH,
      tokenUrl: v.SPEAKUP_TOKEN_URL,
      clientId: v.SPEAKUP_APP_CLIENT_ID,
      clientSecret: v.SPEAKUP_CLIENT_SECRET,
      scopes: v.SPEAKUP_SCOPES ?? [],
    };
  }
  return {
    kind: v.SPEAKUP_AUTH,
    userPoolId: v.SPEAKUP_USER_POOL_ID,
    appClientId: v.SPEAKUP_APP_CLIENT_ID,
    username: v.SPEAKUP_USERNAME,
    password: v.SPEAKUP_PASSWORD,
    // A user pool id starts with its region: eu-west-1_AbC123.
    region: v.SPEAKUP_REGION ?? v.SPEAKUP_USER_POOL_ID.split('_')[0]!,
    endpoint: v.SPEAKUP_COGNITO_ENDPOINT,
    flow: v.SPEAKUP_AUTH_FLOW,
  };
}

/**
 * A configuration as the schema yields it: the staleness threshold still a function, which load.ts turns
 * into a `staleAfterMs` computed when first read (only `status` and the daemon read it; expanding the
 * schedule loads the time-zone data, a start-up cost `sync` need not pay).
 */
export type Draft<T extends DbConfig> = Omit<T, 'staleAfterMs'> & { staleAfter: () => number };

function toDbConfig(v: z.output<z.ZodObject<typeof dbFields>>): Draft<DbConfig> {
  const postgres = toPostgres(v);
  const explicit = v.SPEAKUP_STALE_AFTER;
  return {
    dbPath: postgres ? postgres.target.redacted : v.SPEAKUP_DB,
    ...(postgres ? { postgres } : {}),
    staleAfter: () => explicit ?? defaultStaleAfterMs(v.SPEAKUP_SCHEDULE, v.SPEAKUP_TIMEZONE),
    partialAlertAfter: v.SPEAKUP_PARTIAL_ALERT_AFTER,
    logLevel: v.SPEAKUP_LOG_LEVEL,
    warnings: [],
  };
}

function toConfig(v: Vars): Draft<Omit<Config, 'fieldMap'>> & { fieldMapPath: string | undefined } {
  return {
    ...toDbConfig(v),
    api: {
      baseUrl: v.SPEAKUP_API_URL,
      clientHeader: v.SPEAKUP_CLIENT_HEADER,
      clientSystem: v.SPEAKUP_CLIENT_SYSTEM,
      pageParam: v.SPEAKUP_PAGE_PARAM,
      pageSizeParam: v.SPEAKUP_PAGE_SIZE_PARAM,
      pageSize: v.SPEAKUP_PAGE_SIZE,
      maxDetailBytes: v.SPEAKUP_MAX_DETAIL_BYTES,
      concurrency: v.SPEAKUP_CONCURRENCY,
    },
    auth: toAuth(v),
    retry: {
      timeoutMs: v.SPEAKUP_TIMEOUT_MS,
      maxAttempts: v.SPEAKUP_MAX_ATTEMPTS,
      baseDelayMs: v.SPEAKUP_RETRY_BASE_MS,
      maxRetryTimeMs: v.SPEAKUP_MAX_RETRY_TIME_MS,
    },
    schedule: { cron: v.SPEAKUP_SCHEDULE, timezone: v.SPEAKUP_TIMEZONE, runAtStart: v.SPEAKUP_RUN_AT_START },
    maxDeleteShare: v.SPEAKUP_MAX_DELETE_SHARE,
    lockStaleAfterMs: v.SPEAKUP_LOCK_STALE_AFTER,
    metrics: { port: v.SPEAKUP_METRICS_PORT, host: v.SPEAKUP_METRICS_HOST },
    warnings: insecureWarnings(v),
    fieldMapPath: v.SPEAKUP_FIELD_MAP,
    privacy: {
      reconcileCron: v.SPEAKUP_RECONCILE_SCHEDULE,
      purgeDeletedAfterMs: v.SPEAKUP_PURGE_DELETED_AFTER,
      exclude: v.SPEAKUP_EXCLUDE ?? [],
    },
  };
}

/** Everything `sync` and `daemon` read. Input: the environment with blanks removed and defaults filled in. */
export const configSchema = z
  .intersection(commonFieldsObject, authUnion)
  .superRefine(checkUrls, { when: () => true })
  .superRefine(checkDbUrl, { when: () => true })
  .transform(toConfig);

/** What `status` and `snapshot` read. */
export const dbConfigSchema = z
  .object(dbFields)
  .superRefine(checkDbUrl, { when: () => true })
  .transform(toDbConfig);
