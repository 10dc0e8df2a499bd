/**
 * The benchmark's PostgreSQL server for `--db postgres`: SPEAKUP_BENCH_DATABASE_URL when set, else a
 * throwaway server on a loopback port started from PostgreSQL's own binaries exactly as the tests start
 * theirs (test/helpers/postgres-server.ts), stopped when the benchmark ends.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureServer, stopServer } from '../test/helpers/postgres-server.js';
import { findPostgresBin } from '../test/setup/postgres.js';

export interface BenchPostgres {
  url: string;
  stop(): void;
}

export function startBenchPostgres(): BenchPostgres {
  const external = process.env.SPEAKUP_BENCH_DATABASE_URL;
  if (external) return { url: external, stop: () => undefined };
  const bin = findPostgresBin();
  if (!bin)
    throw new Error(
      '--db postgres needs PostgreSQL: install it (apt-get install postgresql) or set SPEAKUP_BENCH_DATABASE_URL',
    );
  const dir = mkdtempSync(join(tmpdir(), 'speakup-bench-pg-'));
  chmodSync(dir, 0o755);
  const lazy = { dir, bin, watchPid: process.pid };
  const { url } = ensureServer(lazy);
  return { url, stop: () => stopServer(lazy) };
}
