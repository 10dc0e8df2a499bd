/**
 * Vitest global setup: a throwaway PostgreSQL server for the tests that need one.
 *
 * With SPEAKUP_TEST_DATABASE_URL set, that server is used as is (SPEAKUP_TEST_DATABASE_ADMIN_URL, if set,
 * names a superuser for the tests that create roles). Otherwise PostgreSQL's binaries (Debian's
 * /usr/lib/postgresql/<version>/bin, the PATH, or SPEAKUP_TEST_POSTGRES_BIN) start a server in a temp
 * directory on a free loopback port, with
 * password (scram) authentication over TCP like a real deployment, and it is stopped at the end of the run.
 * PostgreSQL refuses to run as root, so as root (CI) the server runs as the `postgres` system user.
 * Without binaries nothing starts: the tests that need PostgreSQL then fail with a message saying how to
 * get a server (test/helpers/postgres.ts), while the rest of the suite runs.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
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

/**
 * The directory of initdb and pg_ctl: SPEAKUP_TEST_POSTGRES_BIN when set, else the newest Debian
 * install (/usr/lib/postgresql/<version>/bin), else the PATH (Homebrew, Fedora); undefined if none.
 */
export function findPostgresBin(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env.SPEAKUP_TEST_POSTGRES_BIN;
  if (explicit) return existsSync(join(explicit, 'initdb')) ? explicit : undefined;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length > 0) return join(root, versions[0]!, 'bin');
  return (env.PATH ?? '').split(':').find((d) => d && existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
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
  /** The argv that runs `cmd` as the server's user. */
  argv(cmd: string, args: string[]): string[];
}

/** Runs the server binaries as the current user, or as `postgres` when the tests run as root. */
function runner(dir: string): Runner {
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const argv = (cmd: string, args: string[]): string[] => (asRoot ? ['runuser', '-u', 'postgres', '--', cmd, ...args] : [cmd, ...args]);
  return {
    argv,
    run(cmd, args) {
      const [file, ...rest] = argv(cmd, args);
      const res = spawnSync(file!, rest, { encoding: 'utf8', cwd: dir });
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
  const stopArgv = pgRun.argv(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
  startWatchdog(stopArgv, dir);
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

/**
 * Stops the server and removes its directory once this process is gone, however it ended: a test run
 * killed by a timeout or a signal skips its teardown and would leave the server running.
 */
function startWatchdog(stopArgv: string[], dir: string): void {
  const script = 'p=$1; d=$2; shift 2; while kill -0 "$p" 2>/dev/null; do sleep 1; done; "$@" >/dev/null 2>&1; rm -rf "$d"';
  const child = spawn('sh', ['-c', script, 'speakup-pg-watchdog', String(process.pid), dir, ...stopArgv], { detached: true, stdio: 'ignore' });
  child.unref();
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
    project.provide('pgUnavailable', process.env.SPEAKUP_TEST_POSTGRES_BIN
      ? `no initdb in SPEAKUP_TEST_POSTGRES_BIN=${process.env.SPEAKUP_TEST_POSTGRES_BIN}`
      : 'no initdb under /usr/lib/postgresql/*/bin or on the PATH');
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
  // Teardown normally stops the server; this covers a run that ends without it (an exception in vitest).
  let stopped = false;
  const stopOnce = (): void => {
    if (stopped) return;
    stopped = true;
    server.stop();
  };
  process.once('exit', stopOnce);
  return stopOnce;
}
