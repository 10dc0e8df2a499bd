/** Process exit codes (sysexits.h where one fits). Documented in the README; errors carry theirs (errors.ts). */
export const EXIT = {
  OK: 0,
  /** A fatal error: authentication, listing failed, database unusable. */
  FATAL: 1,
  /** The run finished, but some issues failed (they are retried next run) or a guard refused deletions. */
  PARTIAL: 2,
  /** Usage error (unknown command or option). */
  USAGE: 64,
  /** Another sync holds the lock (EX_TEMPFAIL): try again later, or use --wait. */
  LOCKED: 75,
  /** Configuration error (EX_CONFIG). */
  CONFIG: 78,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
