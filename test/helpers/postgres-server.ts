/**
 * The throwaway PostgreSQL server of a test run, started on first use: the first test worker that needs
 * it runs initdb and pg_ctl (the others wait for it), so a run without PostgreSQL tests never pays for
 * it. Workers are separate processes: a directory created with mkdir is the start lock, and server.json
 * (written by rename, so never half-written) tells everyone the URLs. The global setup
 * (test/setup/postgres.ts) stops the server at the end of the run; a watchdog stops it if the run dies.
 * PostgreSQL refuses to run as root, so as root (CI) the server runs as the `postgres` system user.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the run's server lives and who runs it; decided by the global setup. */
export interface LazyServer {
  /** The run's directory: start lock, server.json, data directory, socket. */
  dir: string;
  /** initdb, pg_ctl and psql. */
  bin: string;
  /** The vitest process: the server is stopped when it is gone. */
  watchPid: number;
}

export interface ServerUrls {
  url: string;
  adminUrl: string;
}

const ROLE = 'speakup_test';
const DATABASE = 'speakup_test';
const WAIT_MS = 120_000;

const asRoot = (): boolean => process.getuid?.() === 0;

/** The argv that runs `cmd` as the server's user. */
function argv(cmd: string, args: string[]): string[] {
  return asRoot() ? ['runuser', '-u', 'postgres', '--', cmd, ...args] : [cmd, ...args];
}

function run(cmd: string, args: string[], cwd: string): void {
  const [file, ...rest] = argv(cmd, args);
  const res = spawnSync(file!, rest, { encoding: 'utf8', cwd });
  if (res.status !== 0)
    throw new Error(
      `${cmd.split('/').pop()} failed (exit ${res.status}): ${(res.stderr || res.stdout || String(res.error)).trim().slice(-600)}`,
    );
}

/** Blocks this worker for `ms` (it has nothing else to do while the server starts). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The server's URLs, starting it if no worker has yet; throws with the reason when it cannot start. */
export function ensureServer(lazy: LazyServer): ServerUrls {
  const ready = join(lazy.dir, 'server.json');
  const failed = join(lazy.dir, 'error.txt');
  let starter = false;
  try {
    mkdirSync(join(lazy.dir, 'starting'));
    starter = true;
  } catch {
    // Another worker is starting it.
  }
  if (starter) {
    try {
      const urls = startServer(lazy);
      writeFileSync(`${ready}.tmp`, JSON.stringify(urls));
      renameSync(`${ready}.tmp`, ready);
    } catch (err) {
      writeFileSync(failed, (err as Error).message);
    }
  }
  const deadline = Date.now() + WAIT_MS;
  while (!existsSync(ready) && !existsSync(failed)) {
    if (Date.now() > deadline) throw new Error('the test PostgreSQL server did not start in time');
    pause(25);
  }
  if (existsSync(failed)) throw new Error(`the test PostgreSQL server did not start: ${readFileSync(failed, 'utf8')}`);
  return JSON.parse(readFileSync(ready, 'utf8')) as ServerUrls;
}

function startServer(lazy: LazyServer): ServerUrls {
  const home = join(lazy.dir, 'pg');
  mkdirSync(home, { mode: 0o700 });
  if (asRoot()) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(home, id('-u'), id('-g'));
  }
  const data = join(home, 'data');
  const adminPassword = `admin-${randomBytes(8).toString('hex')}`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const pwFile = join(lazy.dir, 'pwfile');
  writeFileSync(pwFile, `${adminPassword}\n`, { mode: 0o644 });
  chmodSync(lazy.dir, 0o755);
  // -N: no fsync; a throwaway server need not survive a power cut.
  run(
    join(lazy.bin, 'initdb'),
    [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      `--pwfile=${pwFile}`,
      '-N',
      '-E',
      'UTF8',
      '--locale=C',
    ],
    home,
  );
  rmSync(pwFile);
  const port = startOnSomePort(lazy, home, data);
  startWatchdog(lazy, argv(join(lazy.bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']));
  run(
    join(lazy.bin, 'psql'),
    [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      home,
      '-p',
      String(port),
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-c',
      `CREATE ROLE ${ROLE} LOGIN CREATEROLE PASSWORD '${password}'`,
      '-c',
      `CREATE DATABASE ${DATABASE} OWNER ${ROLE}`,
    ],
    home,
  );
  return {
    url: `postgres://${ROLE}:${password}@127.0.0.1:${port}/${DATABASE}`,
    adminUrl: `postgres://postgres:${adminPassword}@127.0.0.1:${port}/${DATABASE}`,
  };
}

/** pg_ctl start on a random high loopback port, trying another when it is taken. */
function startOnSomePort(lazy: LazyServer, home: string, data: string): number {
  for (let attempt = 1; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const opts = `-p ${port} -k ${home} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    try {
      run(
        join(lazy.bin, 'pg_ctl'),
        ['-D', data, '-w', '-t', '60', '-l', join(home, 'server.log'), '-o', opts, 'start'],
        home,
      );
      return port;
    } catch (err) {
      const log = existsSync(join(home, 'server.log')) ? readFileSync(join(home, 'server.log'), 'utf8') : '';
      if (attempt >= 5 || !/already in use/.test(log))
        throw new Error(`${(err as Error).message} ${log.slice(-600)}`, { cause: err });
    }
  }
}

/**
 * Stops the server and removes the run's directory once the vitest process is gone, however it ended:
 * a run killed by a timeout or a signal skips its teardown and would leave the server running.
 */
function startWatchdog(lazy: LazyServer, stopArgv: string[]): void {
  const script =
    'p=$1; d=$2; shift 2; while kill -0 "$p" 2>/dev/null; do sleep 1; done; "$@" >/dev/null 2>&1; rm -rf "$d"';
  spawn('sh', ['-c', script, 'speakup-pg-watchdog', String(lazy.watchPid), lazy.dir, ...stopArgv], {
    detached: true,
    stdio: 'ignore',
  }).unref();
}

/** Stops the run's server if a worker started it, and removes the run's directory. */
export function stopServer(lazy: LazyServer): void {
  try {
    if (existsSync(join(lazy.dir, 'pg', 'data', 'postmaster.pid'))) {
      run(join(lazy.bin, 'pg_ctl'), ['-D', join(lazy.dir, 'pg', 'data'), '-m', 'immediate', 'stop'], lazy.dir);
    }
  } finally {
    rmSync(lazy.dir, { recursive: true, force: true });
  }
}
