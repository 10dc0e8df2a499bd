/**
 * Data protection at rest and in transit: the mirror is created private (file 0600, directory 0700, WAL
 * and SHM files too), an existing file readable by others gets a warning and still syncs, and plaintext
 * http:// to a non-loopback host is refused with exit 78 unless SPEAKUP_ALLOW_INSECURE_HTTP=1 (then a
 * warning). No test connects anywhere but loopback: the insecure case stops on an unusable database path,
 * after configuration and before any network call.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, lastLine, runCli, type CliResult } from '../helpers/cli.js';
import { harness, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/reliability.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The CLI started by a shell that first sets `umask` (the test process's own umask stays untouched). */
function runWithUmask(umask: string, args: string[], env: Record<string, string>, cwd: string): Promise<CliResult> {
  const child = spawn('/bin/sh', ['-c', `umask ${umask} && exec "$0" "$@"`, process.execPath, BIN, ...args], {
    cwd,
    env: cleanEnv(env),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

const mode = (path: string) => statSync(path).mode & 0o777;
// TEST-NET-1 (RFC 5737): documentation-only, never routed; nothing here connects to it anyway.
const REMOTE = 'http://192.0.2.10';

describe('the database file', () => {
  it('is created 0600 in a 0700 directory, WAL and SHM too, whatever the umask; made readable by others, it gets a warning and still syncs', async () => {
    h = await harness({ issues: 30, seed: 101, knobs: { latencyMs: 30 } }, { SPEAKUP_CONCURRENCY: '2' });
    const dir = join(h.dir, 'nested', 'deeper');
    const dbPath = join(dir, 'mirror.db');
    const env = { ...h.env, SPEAKUP_DB: dbPath };
    // The child runs with an open umask (000): the permissions must not come from it.
    const run = runWithUmask('000', ['sync'], env, h.dir);
    // The WAL and SHM files exist while the sync runs (a clean close removes them).
    let sidecars: [string, number][] = [];
    await waitFor(() => {
      try {
        sidecars = ['-wal', '-shm'].map((s) => [s, mode(`${dbPath}${s}`)]);
        return true;
      } catch {
        return false;
      }
    }, 'the WAL and SHM files');
    const first = await run;
    expect(first.code, first.stderr).toBe(0);
    expect(sidecars).toEqual([
      ['-wal', 0o600],
      ['-shm', 0o600],
    ]);
    expect(mode(dbPath)).toBe(0o600);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(h.dir, 'nested'))).toBe(0o700);
    expect(first.stdout).toMatch(/^sync succeeded \(run 1\): 30 listed, 30 fetched/);
    // Loopback http:// is fine: no warning of any kind.
    expect(first.stderr).not.toMatch(/"level":(40|50)/);

    chmodSync(dbPath, 0o644);
    h.emu.knobs.latencyMs = 0;
    h.emu.data.update(h.emu.data.ids()[0]!);
    const second = await runCli(['sync'], env, h.dir);
    expect(second.code, second.stderr).toBe(0);
    const warning = second.stderr.split('\n').find((l) => l.includes('accessible by group/others'));
    expect(JSON.parse(warning!)).toMatchObject({
      level: 40,
      msg: `database file "${dbPath}" was accessible by group/others (mode 0644); made it private (mode 0600)`,
    });
    expect(mode(dbPath)).toBe(0o600);
    expect(second.stdout).toMatch(/^sync succeeded \(run 2\): 30 listed, 1 fetched, 29 unchanged/);
  });
});

describe('plaintext http', () => {
  it('to a non-loopback host is refused with exit 78, every such URL named in one message', async () => {
    h = await harness({ issues: 5, seed: 103 });
    const env = {
      ...h.env,
      SPEAKUP_API_URL: `${REMOTE}/api`,
      SPEAKUP_COGNITO_ENDPOINT: `${REMOTE}/`,
      SPEAKUP_PAGE_SIZE: 'lots',
    };
    const r = await runCli(['sync'], env, h.dir, 20_000);
    expect(r.code).toBe(78);
    const line = lastLine(r.stderr);
    expect(line).toMatch(/^speakup-sync: invalid configuration: /);
    expect(line).toContain('SPEAKUP_API_URL: http:// is refused for non-loopback hosts; use https://');
    expect(line).toContain('SPEAKUP_COGNITO_ENDPOINT: http:// is refused for non-loopback hosts; use https://');
    expect(line).toContain('SPEAKUP_PAGE_SIZE: expected an integer from 1 to 10000 (got "lots")');
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    // Nothing was created: configuration is checked before anything else.
    expect(() => statSync(h!.dbPath)).toThrow();
  });

  it('is allowed with SPEAKUP_ALLOW_INSECURE_HTTP=1, with a warning (stopped before any API request)', async () => {
    h = await harness({ issues: 5, seed: 104 });
    // A directory as the database path: the run stops at the database, before any API request (the login,
    // to the loopback emulator, may already be under way: it starts beside opening the database).
    const dirAsDb = join(h.dir, 'a-directory');
    mkdirSync(dirAsDb);
    const env = { ...h.env, SPEAKUP_API_URL: `${REMOTE}/api`, SPEAKUP_ALLOW_INSECURE_HTTP: '1', SPEAKUP_DB: dirAsDb };
    const r = await runCli(['sync'], env, h.dir, 20_000);
    const warning = r.stderr.split('\n').find((l) => l.includes('plaintext'));
    expect(JSON.parse(warning!)).toMatchObject({
      level: 40,
      msg: 'SPEAKUP_API_URL uses plaintext http:// to 192.0.2.10: whistleblower data and tokens travel unencrypted (SPEAKUP_ALLOW_INSECURE_HTTP=1)',
    });
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/^speakup-sync: cannot open database ".*a-directory"/);
  });

  it('TLS certificate verification is never turned off in the sources', () => {
    const files = readdirSync(new URL('../../src', import.meta.url), { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile() && d.name.endsWith('.ts'))
      .map((d) => join(d.parentPath, d.name));
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.filter((f) =>
      /rejectUnauthorized\s*:\s*false|NODE_TLS_REJECT_UNAUTHORIZED/.test(readFileSync(f, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
