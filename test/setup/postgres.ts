/**
 * Vitest global setup: a throwaway PostgreSQL server for the tests that need one.
 *
 * With SPEAKUP_TEST_DATABASE_URL set, that server is used as is (SPEAKUP_TEST_DATABASE_ADMIN_URL, if set,
 * names a superuser for the tests that create roles). Otherwise PostgreSQL's binaries (Debian's
 * /usr/lib/postgresql/<version>/bin, the PATH, or SPEAKUP_TEST_POSTGRES_BIN) start a server in a temp
 * directory on a loopback port, with password (scram) authentication over TCP like a real deployment:
 * lazily, by the first test that asks for it (test/helpers/postgres-server.ts), and stopped here at the
 * end of the run. Without binaries nothing starts: the tests that need PostgreSQL then fail with a
 * message saying how to get a server (test/helpers/postgres.ts), while the rest of the suite runs.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { stopServer, type LazyServer } from '../helpers/postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** SPEAKUP_TEST_DATABASE_URL, or '' when the run's own server is used. */
    pgUrl: string;
    /** A superuser on the same database (roles, grants), with pgUrl. */
    pgAdminUrl: string;
    /** JSON of a LazyServer: where the run's own server starts on first use; '' when there is none. */
    pgLazy: string;
    /** Why there is no server, when there is none. */
    pgUnavailable: string;
  }
}

/**
 * The directory of initdb and pg_ctl: SPEAKUP_TEST_POSTGRES_BIN when set, else the newest Debian
 * install (/usr/lib/postgresql/<version>/bin), else the PATH (Homebrew, Fedora); undefined if none.
 */
export function findPostgresBin(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env.SPEAKUP_TEST_POSTGRES_BIN;
  if (explicit) return existsSync(join(explicit, 'initdb')) ? explicit : undefined;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length > 0) return join(root, versions[0]!, 'bin');
  return (env.PATH ?? '').split(':').find((d) => d && existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
}

export default function setup(project: TestProject): (() => void) | undefined {
  const external = process.env.SPEAKUP_TEST_DATABASE_URL;
  project.provide('pgUrl', external ?? '');
  project.provide('pgAdminUrl', external ? process.env.SPEAKUP_TEST_DATABASE_ADMIN_URL || external : '');
  project.provide('pgLazy', '');
  project.provide('pgUnavailable', '');
  if (external) return undefined;
  const bin = findPostgresBin();
  if (!bin) {
    project.provide(
      'pgUnavailable',
      process.env.SPEAKUP_TEST_POSTGRES_BIN
        ? `no initdb in SPEAKUP_TEST_POSTGRES_BIN=${process.env.SPEAKUP_TEST_POSTGRES_BIN}`
        : 'no initdb under /usr/lib/postgresql/*/bin or on the PATH',
    );
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'speakup-pg-'));
  // As root the server runs as `postgres`, which must reach its data directory inside this one.
  chmodSync(dir, 0o755);
  const lazy: LazyServer = { dir, bin, watchPid: process.pid };
  project.provide('pgLazy', JSON.stringify(lazy));
  return () => stopServer(lazy);
}
