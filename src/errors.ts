/**
 * Typed errors with a stable `code` and the process exit code they end a command with. Callers branch on
 * `code` or `instanceof`, never on message text. Messages are one line, name the problem and the fix,
 * and never carry a secret (password, token, Authorization header): they end up in logs and in
 * `sync_runs.error`.
 */
import { EXIT, type ExitCode } from './cli/exit-codes.js';

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'USAGE'
  | 'AUTH_NOT_AUTHORIZED'
  | 'AUTH_USER_NOT_FOUND'
  | 'AUTH_USER_NOT_CONFIRMED'
  | 'AUTH_THROTTLED'
  | 'AUTH_NETWORK'
  | 'AUTH_CHALLENGE_UNSUPPORTED'
  | 'AUTH_INVALID_CLIENT'
  | 'AUTH_UNAUTHORIZED_CLIENT'
  | 'AUTH_INVALID_SCOPE'
  | 'AUTH_PROVIDER_IN_USE'
  | 'AUTH_FAILED'
  | 'HTTP_STATUS'
  | 'HTTP_NETWORK'
  | 'HTTP_TIMEOUT'
  | 'BAD_RESPONSE'
  | 'LISTING_INCOMPLETE'
  | 'MASS_DELETE_REFUSED'
  | 'LOCKED'
  | 'DB_ERROR'
  | 'ABORTED'
  | 'ISSUE_UNKNOWN';

/** Base class of every error the program raises on purpose. */
export class SyncError extends Error {
  readonly code: ErrorCode;
  /** The exit code of a command that ends with this error. */
  readonly exitCode: ExitCode = EXIT.FATAL;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The operation was cancelled through its AbortSignal (SIGINT/SIGTERM); `detail` says what was waiting. */
export function abortedError(cause?: unknown, detail?: string): SyncError {
  return new SyncError('ABORTED', `stopped by signal${detail ? ` ${detail}` : ''}`, { cause });
}

/** Configuration is missing or invalid; `problems` lists every one (exit 78, EX_CONFIG). */
export class ConfigError extends SyncError {
  readonly problems: readonly string[];
  override readonly exitCode = EXIT.CONFIG;
  constructor(problems: readonly string[]) {
    super('CONFIG_INVALID', `invalid configuration: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/** A command line the program does not understand (exit 64, EX_USAGE). */
export class UsageError extends SyncError {
  override readonly exitCode = EXIT.USAGE;
  constructor(problem: string) {
    super('USAGE', `${problem}; see speakup-sync --help`);
  }
}

/** Login or token refresh failed. `retryable` marks throttling and network faults. */
export class AuthError extends SyncError {
  readonly retryable: boolean;
  /** The upstream exception name (e.g. NotAuthorizedException), when there is one. */
  readonly upstream: string | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    opts: { retryable?: boolean; upstream?: string; cause?: unknown } = {},
  ) {
    super(code, message, { cause: opts.cause });
    this.retryable = opts.retryable ?? false;
    this.upstream = opts.upstream;
  }
}

/** A non-2xx HTTP answer. The URL is the path only: no host secrets, no query tokens. */
export class HttpError extends SyncError {
  readonly status: number;
  readonly method: string;
  readonly path: string;
  /** Server-requested delay (Retry-After), in ms, when given. */
  readonly retryAfterMs: number | undefined;
  constructor(status: number, method: string, path: string, detail: string, retryAfterMs?: number) {
    super('HTTP_STATUS', `[${method}] "${path}": ${status}${detail ? ` ${detail}` : ''}`);
    this.status = status;
    this.method = method;
    this.path = path;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Connection refused/reset, DNS failure, or a request that outlived its timeout. */
export class NetworkError extends SyncError {
  readonly method: string;
  readonly path: string;
  constructor(code: 'HTTP_NETWORK' | 'HTTP_TIMEOUT', method: string, path: string, detail: string, cause?: unknown) {
    super(code, `[${method}] "${path}": ${detail}`, { cause });
    this.method = method;
    this.path = path;
  }
}

/** The server answered, but the body is not what the API promises (bad JSON, missing id, ...). */
export class BadResponseError extends SyncError {
  constructor(message: string, cause?: unknown) {
    super('BAD_RESPONSE', message, { cause });
  }
}

/** Another process holds the sync lock on this database (exit 75, EX_TEMPFAIL). */
export class LockedError extends SyncError {
  override readonly exitCode = EXIT.LOCKED;
  constructor(message: string) {
    super('LOCKED', message);
  }
}

/** The first line of a text, or of a thrown value's message: library errors can span many lines. */
export function firstLine(textOrError: unknown): string {
  const text = textOrError instanceof Error ? textOrError.message : String(textOrError);
  return text.split(/\r?\n/, 1)[0] ?? '';
}

/** A short, secret-free, one-line description of any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof SyncError) return err.message;
  if (err instanceof Error) return firstLine(`${err.name}: ${err.message}`);
  return firstLine(err);
}
