/** The validated, frozen configuration every other module receives. Built only by loadConfig. */
export interface PasswordAuthConfig {
  kind: 'password';
  userPoolId: string;
  appClientId: string;
  username: string;
  password: string;
  region: string;
  /** IdP endpoint override; undefined = AWS's regional endpoint. */
  endpoint: string | undefined;
  flow: 'USER_SRP_AUTH' | 'USER_PASSWORD_AUTH';
}

export type AuthConfig = PasswordAuthConfig;

export interface ApiConfig {
  baseUrl: string;
  clientHeader: string;
  clientSystem: string;
  pageParam: string;
  pageSizeParam: string;
  pageSize: number;
  concurrency: number;
}

export interface RetryConfig {
  timeoutMs: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxRetryTimeMs: number;
}

export interface Config {
  api: ApiConfig;
  auth: AuthConfig;
  retry: RetryConfig;
  dbPath: string;
  schedule: { cron: string; timezone: string; runAtStart: boolean };
  maxDeleteShare: number;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Warnings found while loading (e.g. insecure http allowed), for the caller to log. */
  warnings: readonly string[];
}
