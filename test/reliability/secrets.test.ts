/**
 * Secrets never leak: a full sync as the CLI with debug logging and fault injection (5xx, resets, 429s,
 * access tokens revoked mid-run, short-lived ID tokens that force refreshes), then a scan of stdout,
 * stderr, every text column of every table, the raw database file and its WAL for the password, the
 * client secret and every token the emulator issued. A second run is SIGKILLed mid-run so a WAL is left
 * on disk to scan. Then the errors thrown for authentication failures, inspected the way a logger or a
 * crash report would print them (stack, causes, own properties).
 */
import { existsSync, readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenProvider } from '../../src/cli/compose.js';
import { createHold } from '../../src/emulator/api/hold.js';
import { silentLogger } from '../../src/log.js';
import { runCli, startCli } from '../helpers/cli.js';
import { HELD_ENV } from '../helpers/mid-run.js';
import { harness, mirrorDiff, type Harness } from '../helpers/harness.js';
import {
  allText,
  findSecrets,
  killTrigger,
  killWhen,
  openAfterCrash,
  readWal,
  waitFor,
} from '../helpers/reliability.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/**
 * A kill inside a write whose WAL holds issue content: the positive controls below look for the probes in
 * the WAL, and a WAL change can also be a heartbeat or a run-progress update that holds none of them.
 */
function killInIssueWrite(after: number, x: Harness): () => boolean {
  const inWrite = killTrigger({ phase: 'write', after, delayMs: 0 }, x.emu, x.dbPath);
  return () => {
    if (!inWrite()) return false;
    try {
      return readFileSync(`${x.dbPath}-wal`).includes('wal-probe-');
    } catch {
      return false;
    }
  };
}

/** Everything secret the emulator and the configuration hold. */
function secretsOf(x: Harness): string[] {
  return [
    x.emu.password,
    x.emu.unconfirmedUser.password,
    x.emu.oauthClient.clientSecret,
    ...x.emu.cognito.issuedSecrets(),
  ];
}

/** Everything a leak could end up in: text columns, the raw file, the WAL if there is one. */
function databaseHaystacks(x: Harness): Record<string, string | Buffer> {
  const out: Record<string, string | Buffer> = { 'database file bytes': readFileSync(x.dbPath) };
  if (existsSync(`${x.dbPath}-wal`)) out['WAL file bytes'] = readFileSync(`${x.dbPath}-wal`);
  // After a kill, a read-only connection may be refused until the WAL is recovered: openAfterCrash handles it.
  const { db } = openAfterCrash(x.dbPath)!;
  try {
    out['text columns'] = allText(db).join('\n');
  } finally {
    db.close();
  }
  return out;
}

const BEARER = /Bearer\s+[A-Za-z0-9_-]{10,}/;

describe('no secret in output, errors or the database', () => {
  it('a debug-logged sync through faults, token revocation and refreshes', { timeout: 90_000 }, async () => {
    h = await harness(
      {
        issues: 150,
        seed: 91,
        knobs: { p5xx: 0.1, pReset: 0.02, rateLimit: { rps: 150, burst: 20 }, latencyMs: 3 },
        cognito: { idTokenTtlSec: 4, accessTokenTtlSec: 4 },
      },
      { SPEAKUP_CONCURRENCY: '4' },
    );
    // A failed login first: a wrong password must not be echoed either.
    const wrongPassword = `${h.emu.password}-not-it`;
    const failed = await runCli(['sync', '--verbose'], { ...h.env, SPEAKUP_PASSWORD: wrongPassword }, h.dir);
    expect(failed.code).toBe(1);

    const run = startCli(['sync', '--verbose'], h.env, h.dir);
    await waitForDetails(h, 50);
    h.emu.cognito.revokeAccessTokens();
    const r = await run.result;
    expect(r.code, r.stderr.slice(-500)).toBe(0);
    expect(mirrorDiff(h)).toEqual({ missing: [], extra: [], different: [] });
    // The faults did happen, the tokens were refreshed, debug logging was on.
    expect(h.emu.counters.faults['5xx'] + h.emu.counters.faults.reset).toBeGreaterThan(5);
    expect(h.emu.counters.byStatus[401]).toBeGreaterThan(0);
    expect(h.emu.cognito.counters.operations['InitiateAuth:REFRESH_TOKEN_AUTH']).toBeGreaterThan(0);
    expect(r.stderr).toContain('"level":20');

    const secrets = [...secretsOf(h), wrongPassword];
    expect(secrets.length).toBeGreaterThan(5);
    const hay: Record<string, string | Buffer> = {
      'failed run stdout': failed.stdout,
      'failed run stderr': failed.stderr,
      stdout: r.stdout,
      stderr: r.stderr,
      ...databaseHaystacks(h),
    };
    // Positive control: the scan does see what the mirror holds (a summary, in the columns and the raw file).
    const summary = h.emu.data.get(h.emu.data.ids()[0]!)!.summary!;
    expect(findSecrets(hay, [summary])).toEqual(
      expect.arrayContaining([expect.stringContaining('text columns'), expect.stringContaining('database file bytes')]),
    );
    expect(findSecrets(hay, secrets)).toEqual([]);
    for (const [where, text] of Object.entries(hay))
      expect(BEARER.test(typeof text === 'string' ? text : text.toString('latin1')), where).toBe(false);
  });

  it('a debug-logged sync killed mid-run: its WAL and output hold no secret either', { timeout: 60_000 }, async () => {
    h = await harness({ issues: 150, seed: 92, knobs: { p5xx: 0.05, latencyMs: 2 } });
    // A recognisable summary per issue, known from the emulator (not read back from the file).
    const probes = h.emu.data.ids().map((id) => `wal-probe-${id}-Kq7x`);
    for (const id of h.emu.data.ids()) h.emu.data.update(id, { summary: `wal-probe-${id}-Kq7x` });
    const trigger = killInIssueWrite(60, h);
    const r = await killWhen(() => startCli(['sync', '--verbose', '--full'], h!.env, h!.dir), trigger);
    expect(r.signal).toBe('SIGKILL');
    expect(readWal(h.dbPath).frames).toBeGreaterThan(0);
    const hay: Record<string, string | Buffer> = { stdout: r.stdout, stderr: r.stderr, ...databaseHaystacks(h) };
    expect(Object.keys(hay)).toContain('WAL file bytes');
    // Positive control: the scan finds in the WAL the issues the killed run was writing.
    expect(findSecrets({ wal: hay['WAL file bytes']! }, probes).length).toBeGreaterThan(0);
    expect(findSecrets(hay, secretsOf(h))).toEqual([]);
  });

  it.each(['client-credentials', 'amplify'] as const)(
    'the %s provider as a CLI process, writer thread included: nothing secret in output, database or WAL',
    { timeout: 90_000 },
    async (kind) => {
      h = await harness(
        { issues: 120, seed: 95, knobs: { latencyMs: 2 } },
        { SPEAKUP_AUTH: kind, SPEAKUP_CONCURRENCY: '4' },
      );
      const probes = h.emu.data.ids().map((id) => `wal-probe-${id}-Kq7x`);
      for (const id of h.emu.data.ids()) h.emu.data.update(id, { summary: `wal-probe-${id}-Kq7x` });
      // A renewal in mid-run: detail requests wait at the gate while the tokens are revoked.
      const hold = createHold(['detail'], { after: 20 });
      h.emu.knobs.hold = hold;
      const run = startCli(['sync', '--verbose'], { ...h.env, ...HELD_ENV }, h.dir);
      await waitFor(() => hold.waiting > 0, 'detail requests held in flight', 40_000);
      h.emu.cognito.revokeAccessTokens();
      hold.release();
      const r = await run.result;
      expect(r.code, r.stderr.slice(-800)).toBe(0);
      expect(mirrorDiff(h)).toEqual({ missing: [], extra: [], different: [] });
      expect(h.emu.counters.byStatus[401]).toBeGreaterThan(0);
      expect(r.stderr).toContain(`"provider":"${kind}"`);
      expect(r.stderr).toContain('"level":20');
      // The writes went through the writer thread (the fallback warns when it is not there).
      expect(r.stderr).not.toContain('the writer thread did not start');

      // A second run, killed inside a write: its WAL is scanned too.
      for (const id of h.emu.data.ids())
        h.emu.data.update(id, { summary: `wal-probe-${id}-Kq7x`, description: `${'w'.repeat(20_000)} ${id}` });
      const trigger = killInIssueWrite(30, h);
      const killed = await killWhen(() => startCli(['sync', '--verbose', '--full'], h!.env, h!.dir), trigger);
      expect(killed.signal).toBe('SIGKILL');
      const hay: Record<string, string | Buffer> = {
        stdout: r.stdout,
        stderr: r.stderr,
        'killed stdout': killed.stdout,
        'killed stderr': killed.stderr,
        ...databaseHaystacks(h),
      };
      expect(Object.keys(hay)).toContain('WAL file bytes');
      // Positive controls: the scans see the mirror's content in the columns, the file and the WAL.
      expect(findSecrets({ wal: hay['WAL file bytes']! }, probes).length).toBeGreaterThan(0);
      expect(findSecrets({ columns: hay['text columns']! }, probes).length).toBeGreaterThan(0);
      const secrets = secretsOf(h);
      expect(secrets).toContain(h.emu.oauthClient.clientSecret);
      expect(findSecrets(hay, secrets)).toEqual([]);
      for (const [where, text] of Object.entries(hay))
        expect(BEARER.test(typeof text === 'string' ? text : text.toString('latin1')), where).toBe(false);
    },
  );

  it(
    'errors thrown for authentication failures carry no password or token, causes included',
    { timeout: 60_000 },
    async () => {
      h = await harness({ issues: 5, seed: 93 }, { SPEAKUP_MAX_ATTEMPTS: '2' });
      const x = h;
      const wrong = `${x.emu.password}-wrong`;
      const failures: Record<string, unknown> = {};
      const attempt = async (name: string, env: Record<string, string>, before?: () => void) => {
        before?.();
        const provider = createTokenProvider(x.config(env), silentLogger());
        failures[name] = await provider.getToken().then(
          () => undefined,
          (err: unknown) => err,
        );
        x.emu.cognito.knobs.unavailable = false;
        x.emu.cognito.knobs.throttleNext = 0;
      };
      await attempt('wrong password (SRP)', { SPEAKUP_PASSWORD: wrong });
      await attempt('wrong password (USER_PASSWORD_AUTH)', {
        SPEAKUP_PASSWORD: wrong,
        SPEAKUP_AUTH_FLOW: 'USER_PASSWORD_AUTH',
      });
      await attempt('unknown user', { SPEAKUP_USERNAME: 'nobody' });
      await attempt('unconfirmed user', {
        SPEAKUP_USERNAME: x.emu.unconfirmedUser.username,
        SPEAKUP_PASSWORD: x.emu.unconfirmedUser.password,
      });
      await attempt('IdP unreachable', {}, () => (x.emu.cognito.knobs.unavailable = true));
      await attempt(
        'throttled at login',
        { SPEAKUP_AUTH_FLOW: 'USER_PASSWORD_AUTH' },
        () => (x.emu.cognito.knobs.throttleNext = 10),
      );

      // A refresh that fails: logged in, tokens revoked, the IdP gone when the refresh and re-login are tried.
      const provider = createTokenProvider(x.config(), silentLogger());
      const token = await provider.getToken();
      x.emu.cognito.revokeRefreshTokens();
      x.emu.cognito.knobs.unavailable = true;
      provider.invalidate(token);
      failures['refresh and re-login failing'] = await provider.getToken().then(
        () => undefined,
        (err: unknown) => err,
      );
      x.emu.cognito.knobs.unavailable = false;

      const secrets = [...secretsOf(x), wrong];
      for (const [name, err] of Object.entries(failures)) {
        expect(err, name).toBeInstanceOf(Error);
        const printed = {
          message: (err as Error).message,
          stack: (err as Error).stack ?? '',
          inspect: inspect(err, { depth: 10, showHidden: true }),
          json: JSON.stringify(err, Object.getOwnPropertyNames(err)),
        };
        expect(findSecrets(printed, secrets), name).toEqual([]);
        expect((err as Error).message, name).not.toMatch(BEARER);
      }
    },
  );
});

async function waitForDetails(x: Harness, n: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (x.emu.counters.requests.detail < n) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} detail requests`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
