/** The validated, frozen configuration every other module receives. Built only by loadConfig. */
import type { PostgresTarget } from '../db/postgres/url.js';
import type { FieldMap } from '../sync/ports.js';
import type { LogLevel } from '../log.js';

/** A SpeakUp service account in the Cognito user pool (what `password` and `amplify` log in with). */
interface CognitoUserAuthFields {
  userPoolId: string;
  appClientId: string;
  username: string;
  password: string;
  region: string;
  /** IdP endpoint override; undefined = AWS's regional endpoint. */
  endpoint: string | undefined;
  flow: 'USER_SRP_AUTH' | 'USER_PASSWORD_AUTH';
}

/** `SPEAKUP_AUTH=password`: amazon-cognito-identity-js (the default). */
export interface PasswordAuthConfig extends CognitoUserAuthFields {
  kind: 'password';
}

/** `SPEAKUP_AUTH=amplify`: the same account through aws-amplify v6 Auth. */
export interface AmplifyAuthConfig extends CognitoUserAuthFields {
  kind: 'amplify';
}

/** `SPEAKUP_AUTH=client-credentials`: a SpeakUp App Integration (OAuth 2.0 client credentials, RFC 6749 §4.4). */
export interface ClientCredentialsAuthConfig {
  kind: 'client-credentials';
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Scopes asked for; empty = the integration's defaults. */
  scopes: readonly string[];
  /** No user here. Declared (always absent) so code that reads `auth.username` across kinds gets undefined, not a type error. */
  username?: never;
}

export type AuthConfig = PasswordAuthConfig | AmplifyAuthConfig | ClientCredentialsAuthConfig;

/** The SPEAKUP_AUTH values. */
export type AuthKind = AuthConfig['kind'];

export interface ApiConfig {
  baseUrl: string;
  clientHeader: string;
  clientSystem: string;
  pageParam: string;
  pageSizeParam: string;
  pageSize: number;
  /** Largest detail body accepted, bytes. */
  maxDetailBytes: number;
  concurrency: number;
}

export interface RetryConfig {
  timeoutMs: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxRetryTimeMs: number;
}

/** The daemon's /healthz and /metrics server. */
export interface MetricsConfig {
  /** undefined = no server. */
  port: number | undefined;
  host: string;
}

/** SPEAKUP_DB as a PostgreSQL URL, with the schema that holds the mirror. */
export interface PostgresDbConfig {
  /** The parsed URL: `connectionString` (with the password) goes to the driver only, `redacted` everywhere else. */
  target: PostgresTarget;
  /** SPEAKUP_DB_SCHEMA. */
  schema: string;
}

/** What the database-only commands (`status`, `snapshot`) need: no API settings, no credentials. */
export interface DbConfig {
  /** The SQLite file (absolute); with PostgreSQL, the URL with its password redacted (printable). */
  dbPath: string;
  /** Set when SPEAKUP_DB is a postgres:// URL: the mirror is in PostgreSQL, not in the file `dbPath`. */
  postgres?: PostgresDbConfig;
  /** A run older than this (ms) is stale: `status` exits 1, /healthz answers 503. */
  staleAfterMs: number;
  /** This many `partial` runs in a row that stored no issue: `status` exits 1, /healthz answers 503. */
  partialAlertAfter: number;
  logLevel: LogLevel;
  /** Warnings found while loading (e.g. insecure http allowed), for the caller to log. */
  warnings: readonly string[];
}

export interface Config extends DbConfig {
  /** Where each typed column is read from in the detail (SPEAKUP_FIELD_MAP); absent = the built-in paths. */
  fieldMap?: FieldMap;
  api: ApiConfig;
  auth: AuthConfig;
  retry: RetryConfig;
  schedule: { cron: string; timezone: string; runAtStart: boolean };
  maxDeleteShare: number;
  /** A lock holder silent this long (ms) is presumed gone (SPEAKUP_LOCK_STALE_AFTER); absent: the default. */
  lockStaleAfterMs?: number;
  metrics: MetricsConfig;
  privacy: PrivacyConfig;
}

/** Retention and data minimisation (docs/privacy.md). */
export interface PrivacyConfig {
  /** Daemon: cron of the reconcile run that refetches every detail. */
  reconcileCron: string;
  /** Erase deleted issues' content this long after their deletion; undefined = never. */
  purgeDeletedAfterMs: number | undefined;
  /** Detail paths and field labels never stored. */
  exclude: readonly string[];
}
