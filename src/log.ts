/**
 * The structured logger (pino): JSON lines on stderr when not on a terminal (daemons, CI, log shippers),
 * readable coloured lines on a terminal. stdout stays free for command output (`status --json`).
 * Secrets are redacted by key as a second line of defence; the first is never passing them to a log call.
 */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger };

/** pino's levels, most verbose first; `silent` logs nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Keys whose values never reach a log line, wherever they sit in a logged object. */
const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'idToken',
  '*.idToken',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'clientSecret',
  '*.clientSecret',
  'secret',
  '*.secret',
];

export interface LoggerOptions {
  level: LogLevel;
  /** Human-readable lines instead of JSON; default: stderr is a TTY. */
  pretty?: boolean;
  /** Where to write; default process.stderr (fd 2). */
  destination?: NodeJS.WritableStream;
}

/** Builds the program's logger. Construct once at the entry point and pass it down. */
export function createLogger(opts: LoggerOptions): Logger {
  const base = { level: opts.level, redact: { paths: REDACT_PATHS, censor: '[REDACTED]' }, base: { pid: process.pid } };
  const usePretty = opts.pretty ?? Boolean(process.stderr.isTTY);
  if (usePretty) {
    // Loaded only for a terminal: JSON logging (services, cron, the benchmark) never pays its start-up cost.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
    const stream = pretty({
      sync: true,
      colorize: Boolean(process.stderr.isTTY),
      ignore: 'pid,hostname',
      translateTime: 'SYS:HH:MM:ss',
      destination: opts.destination ?? 2,
    });
    return pino(base, stream);
  }
  const dest = opts.destination ?? pino.destination({ fd: 2, sync: true });
  return pino(base, dest);
}

/** A logger that drops everything (tests of pure code, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
