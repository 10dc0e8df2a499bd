/**
 * Every environment variable speakup-sync reads: its schema, default and meaning. This table is the single
 * source for validation (schema.ts assembles the schemas into one), `.env.example` and the configuration
 * table of the docs.
 */
import * as z from 'zod';
import { LOG_LEVELS } from '../log.js';
import {
  int,
  num,
  bool,
  duration,
  lockStaleAfter,
  host,
  retention,
  list,
  pgSchemaName,
  nonEmpty,
  cronExpression,
  timeZone,
} from './env-types.js';
import type { AuthKind } from './types.js';
import { CONNECTION_VARS } from './env-vars-connection.js';

export { AUTH_KINDS } from './env-vars-connection.js';

/** One variable. `schema` keeps its own type in ENV_VARS (`satisfies`, not a type annotation). */
export interface EnvVar<S extends z.ZodType = z.ZodType> {
  /** Parses the raw text (or `default`, the same way). */
  schema: S;
  /** Plain-language expectation used in error messages ("an integer from 1 to 64"). */
  expect: string;
  describe: string;
  default?: string;
  /** Documentation of a computed default (no literal value). */
  defaultDoc?: string;
  /** Never echoed in an error or log. */
  secret?: boolean;
  /** Required when SPEAKUP_AUTH is one of these (and ignored by the other providers). */
  requiredFor?: readonly AuthKind[];
}

/** Required whatever the provider. */
export const ALWAYS_REQUIRED: ReadonlySet<string> = new Set(['SPEAKUP_API_URL', 'SPEAKUP_CLIENT_SYSTEM']);

export const ENV_VARS = {
  ...CONNECTION_VARS,
  SPEAKUP_DB: {
    schema: nonEmpty,
    expect: 'a file path or a postgres:// URL',
    describe:
      'SQLite database file, or a PostgreSQL URL such as postgres://user:password@host:5432/db?sslmode=require (the password is never printed)',
    default: './data/speakup.db',
  },
  SPEAKUP_DB_SCHEMA: {
    schema: pgSchemaName,
    expect: 'a lower-case identifier (letters, digits, _; at most 63; not pg_*)',
    describe: 'PostgreSQL only: the schema that holds the mirror (one per SpeakUp system; each has its own run lock)',
    default: 'speakup',
  },
  SPEAKUP_DB_ALLOW_PLAINTEXT: {
    schema: bool,
    expect: '1 or 0',
    describe:
      'PostgreSQL only: allow a URL to another host without sslmode=require (the password travels unencrypted; never in production)',
    default: '0',
  },
  SPEAKUP_SCHEDULE: {
    schema: cronExpression,
    expect: 'a cron expression such as "*/15 * * * *"',
    describe: 'daemon schedule (node-cron syntax, 5 or 6 fields)',
    default: '*/15 * * * *',
  },
  SPEAKUP_TIMEZONE: {
    schema: timeZone,
    expect: 'an IANA time zone such as Europe/Amsterdam',
    describe: 'time zone of the schedule',
    default: 'UTC',
  },
  SPEAKUP_RUN_AT_START: {
    schema: bool,
    expect: '1 or 0',
    describe: 'daemon: run one sync immediately at start',
    default: '1',
  },
  SPEAKUP_CONCURRENCY: {
    schema: int(1, 128),
    expect: 'an integer from 1 to 128',
    describe: 'detail requests in flight at most (the request rate also adapts to 429s)',
    default: '16',
  },
  SPEAKUP_PAGE_SIZE: {
    schema: int(1, 10_000),
    expect: 'an integer from 1 to 10000',
    describe: 'list page size asked for (servers may cap it)',
    default: '500',
  },
  SPEAKUP_PAGE_PARAM: {
    schema: z.string().regex(/^[\w.-]+$/),
    expect: 'a query parameter name',
    describe: 'name of the page-number parameter',
    default: 'page',
  },
  SPEAKUP_PAGE_SIZE_PARAM: {
    schema: z.string().regex(/^[\w.-]+$/),
    expect: 'a query parameter name',
    describe: 'name of the page-size parameter',
    default: 'pageSize',
  },
  SPEAKUP_TIMEOUT_MS: {
    schema: int(100, 600_000),
    expect: 'milliseconds from 100 to 600000',
    describe: 'timeout of one HTTP request (and of one IdP call)',
    default: '30000',
  },
  SPEAKUP_MAX_ATTEMPTS: {
    schema: int(1, 20),
    expect: 'an integer from 1 to 20',
    describe: 'attempts per request on 5xx, timeouts and network errors (429 waits do not count)',
    default: '6',
  },
  SPEAKUP_RETRY_BASE_MS: {
    schema: int(1, 60_000),
    expect: 'milliseconds from 1 to 60000',
    describe: 'first backoff delay; doubles each attempt, with jitter',
    default: '500',
  },
  SPEAKUP_MAX_RETRY_TIME_MS: {
    schema: int(1_000, 3_600_000),
    expect: 'milliseconds from 1000 to 3600000',
    describe: 'give up on one request after this long, waits included',
    default: '300000',
  },
  SPEAKUP_MAX_DELETE_SHARE: {
    schema: num(0, 1),
    expect: 'a fraction from 0 to 1',
    describe: 'refuse to soft-delete more than this share of stored issues in one run (override: --allow-mass-delete)',
    default: '0.5',
  },
  SPEAKUP_ALLOW_INSECURE_HTTP: {
    schema: bool,
    expect: '1 or 0',
    describe: 'allow http:// URLs to non-loopback hosts (never do this in production)',
    default: '0',
  },
  SPEAKUP_STALE_AFTER: {
    schema: duration,
    expect: 'a duration such as 90m, 2h or 1d',
    describe: "`status` exits 1 and the daemon's /healthz answers 503 when the last successful run is older than this",
    defaultDoc: 'twice the longest gap between SPEAKUP_SCHEDULE runs, at least 1h',
  },
  SPEAKUP_PARTIAL_ALERT_AFTER: {
    schema: int(1, 1000),
    expect: 'an integer from 1 to 1000',
    describe:
      "`status` exits 1 and the daemon's /healthz answers 503 after this many `partial` runs in a row that stored no issue",
    default: '3',
  },
  SPEAKUP_LOCK_STALE_AFTER: {
    schema: lockStaleAfter,
    expect: 'a duration from 1s to 1d, such as 10m',
    describe:
      'a sync whose lock heartbeat is older than this is presumed gone and its lock taken over (a paused or frozen run finds out and stops); heartbeats come every sixth of it, at most every 10s',
    default: '10m',
  },
  SPEAKUP_MAX_DETAIL_BYTES: {
    schema: int(1024, 1024 * 1024 * 1024),
    expect: 'a byte count from 1024 to 1073741824',
    describe: 'largest issue detail accepted, in bytes; a larger one fails that issue (the body is not read further)',
    default: String(32 * 1024 * 1024),
  },
  SPEAKUP_METRICS_PORT: {
    schema: int(0, 65_535),
    expect: 'a TCP port from 0 to 65535',
    describe: 'daemon: serve /healthz and /metrics (Prometheus) on this port; 0 picks a free port (logged)',
    defaultDoc: 'unset (no server)',
  },
  SPEAKUP_METRICS_HOST: {
    schema: host,
    expect: 'an IP address or host name such as 127.0.0.1',
    describe:
      'daemon: address the /healthz and /metrics server binds to (the server has no authentication: keep it on loopback or a private network)',
    default: '127.0.0.1',
  },
  SPEAKUP_FIELD_MAP: {
    schema: nonEmpty,
    expect: 'a path to a JSON file',
    describe:
      'JSON file naming the detail path each typed column is read from, e.g. {"status": "state", "assignee_name": "assignedTo.name"}; unnamed columns keep the built-in paths (`speakup-sync inspect` prints a starting map)',
    defaultDoc: 'unset (built-in paths)',
  },
  SPEAKUP_RECONCILE_SCHEDULE: {
    schema: cronExpression,
    expect: 'a cron expression such as "0 3 * * 0"',
    describe:
      'daemon: when to refetch every detail (a reconcile run), so content cleared at the source without a new updatedAt leaves the mirror too',
    default: '0 3 * * 0',
  },
  SPEAKUP_PURGE_DELETED_AFTER: {
    schema: retention,
    expect: 'a duration such as 30d, 0 (at once) or off',
    describe:
      'erase the content of an issue deleted at the source once it has been deleted this long (0: in the run that sees the deletion; off: keep it); see docs/privacy.md',
    default: '30d',
  },
  SPEAKUP_EXCLUDE: {
    schema: list,
    expect: 'a comma-separated list of detail paths or field labels',
    describe:
      'never store these: detail paths (dotted, as in SPEAKUP_FIELD_MAP, e.g. reporter.messages) and custom fields with these labels, removed before anything is written, full-text index included',
    defaultDoc: 'unset (store everything)',
  },
  SPEAKUP_LOG_LEVEL: {
    schema: z.enum(LOG_LEVELS),
    expect: 'trace, debug, info, warn, error or silent',
    describe: 'log level (--verbose = debug, --quiet = warn)',
    default: 'info',
  },
} satisfies Record<string, EnvVar>;

export type EnvVarName = keyof typeof ENV_VARS;
