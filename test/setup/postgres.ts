/**
 * Vitest global setup: a throwaway PostgreSQL server for the tests that need one.
 *
 * With SPEAKUP_TEST_DATABASE_URL set, that server is used as is. Otherwise Debian's PostgreSQL binaries
 * (/usr/lib/postgresql/<version>/bin) start a server in a temp directory on a free loopback port, with
 * password (scram) authentication over TCP like a real deployment, and it is stopped at the end of the run.
 * PostgreSQL refuses to run as root, so as root (CI) the server runs as the `postgres` system user.
 * Without binaries nothing starts: the tests that need PostgreSQL then fail with a message saying how to
 * get a server (test/helpers/postgres.ts), while the rest of the suite runs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the tests' database for an ordinary role (owner of the database), or '' without a server. */
    pgUrl: string;
    /** URL of a superuser on the same database (roles, grants), or '' without a server. */
    pgAdminUrl: string;
    /** Why there is no server, when there is none. */
    pgUnavailable: string;
  }
}

const ROLE = 'speakup_test';
const DATABASE = 'speakup_test';

/** Newest installed Debian PostgreSQL bin directory holding initdb, or undefined. */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(root, versions[0]!, 'bin') : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

interface Runner {
  run(cmd: string, args: string[]): void;
}

/** Runs the server binaries as the current user, or as `postgres` when the tests run as root. */
function runner(dir: string): Runner {
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  return {
    run(cmd, args) {
      const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
      const res = spawnSync(file, argv, { encoding: 'utf8', cwd: dir });
      if (res.status !== 0) {
        throw new Error(`${cmd} ${args[0] ?? ''} failed (exit ${res.status}): ${(res.stderr || res.stdout).trim().slice(-800)}`);
      }
    },
  };
}

interface LocalServer {
  adminUrl: string;
  url: string;
  stop(): void;
}

/** initdb + pg_ctl start in a fresh temp dir; creates the test role and database. */
async function startLocalServer(bin: string): Promise<LocalServer> {
  const dir = mkdtempSync(join(tmpdir(), 'speakup-pg-'));
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const pgRun = runner(dir);
  const adminPassword = `admin-${Math.random().toString(36).slice(2)}`;
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const pwFile = join(dir, 'pwfile');
  writeFileSync(pwFile, `${adminPassword}\n`, { mode: 0o644 });
  // -N: no fsync; a throwaway server need not survive a power cut.
  pgRun.run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256',
    `--pwfile=${pwFile}`, '-N', '-E', 'UTF8', '--locale=C']);
  rmSync(pwFile);
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    try {
      pgRun.run(join(bin, 'pg_ctl'), ['-D', data, '-w', '-t', '30', '-l', join(dir, 'server.log'), '-o', opts, 'start']);
      break;
    } catch (err) {
      // Another process may have taken the port between probing and binding it.
      if (attempt >= 3) throw new Error(`${(err as Error).message}\n${readLog(dir)}`);
    }
  }
  const stop = (): void => {
    try {
      pgRun.run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    const admin = new pg.Client({ host: dir, port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query(`CREATE ROLE ${ROLE} LOGIN CREATEROLE PASSWORD '${password}'`);
    await admin.query(`CREATE DATABASE ${DATABASE} OWNER ${ROLE}`);
    await admin.end();
  } catch (err) {
    stop();
    throw err;
  }
  return {
    adminUrl: `postgres://postgres:${adminPassword}@127.0.0.1:${port}/${DATABASE}`,
    url: `postgres://${ROLE}:${password}@127.0.0.1:${port}/${DATABASE}`,
    stop,
  };
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'server.log'), 'utf8').slice(-800);
  } catch {
    return '';
  }
}

export default async function setup(project: TestProject): Promise<(() => void) | undefined> {
  const external = process.env.SPEAKUP_TEST_DATABASE_URL;
  if (external) {
    project.provide('pgUrl', external);
    project.provide('pgAdminUrl', process.env.SPEAKUP_TEST_DATABASE_ADMIN_URL || external);
    project.provide('pgUnavailable', '');
    return undefined;
  }
  const bin = findPostgresBin();
  if (!bin) {
    project.provide('pgUrl', '');
    project.provide('pgAdminUrl', '');
    project.provide('pgUnavailable', 'no PostgreSQL server binaries under /usr/lib/postgresql/*/bin');
    return undefined;
  }
  let server: LocalServer;
  try {
    server = await startLocalServer(bin);
  } catch (err) {
    // The tests that need the server fail with this reason; the others still run.
    project.provide('pgUrl', '');
    project.provide('pgAdminUrl', '');
    project.provide('pgUnavailable', `the test PostgreSQL server did not start: ${(err as Error).message}`);
    return undefined;
  }
  project.provide('pgUrl', server.url);
  project.provide('pgAdminUrl', server.adminUrl);
  project.provide('pgUnavailable', '');
  return () => server.stop();
}
