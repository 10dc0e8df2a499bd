/**
 * Fault storms against the emulator, in-process (real HTTP, real Cognito library, real SQLite file): each
 * run must end with the mirror equal to the emulator's data set, having actually met the faults injected.
 * The one case that must not survive (the IdP unreachable for longer than the retry budget) runs as the
 * CLI: exit 1, one clear line, nothing stored lost.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { lastLine, runCli } from '../helpers/cli.js';
import { harness, mirrorDiff, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/reliability.js';

const clean = { missing: [], extra: [], different: [] };
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('transport faults', () => {
  it('10% 5xx and 2% connection resets: every issue stored, faults retried', async () => {
    h = await harness({ issues: 300, seed: 41, knobs: { p5xx: 0.1, pReset: 0.02 } });
    const r = await h.sync();
    expect(r.status, r.error).toBe('succeeded');
    expect(mirrorDiff(h)).toEqual(clean);
    expect(h.emu.counters.faults['5xx']).toBeGreaterThan(10);
    expect(h.emu.counters.faults.reset).toBeGreaterThan(0);
    expect(r.counts.retries).toBeGreaterThanOrEqual(h.emu.counters.faults['5xx'] + h.emu.counters.faults.reset);
  });

  it.each([
    ['Retry-After in seconds', 'seconds'],
    ['Retry-After as an HTTP-date', 'http-date'],
    ['no Retry-After', 'none'],
  ] as const)('a 429 storm with %s: slowed down, nothing lost', { timeout: 60_000 }, async (_name, retryAfterMode) => {
    h = await harness({ issues: 50, seed: 42, knobs: { rateLimit: { rps: 50, burst: 10 }, retryAfterMode } });
    const r = await h.sync();
    expect(r.status, r.error).toBe('succeeded');
    expect(mirrorDiff(h)).toEqual(clean);
    expect(h.emu.counters.rateLimited).toBeGreaterThan(0);
    expect(r.counts.throttled).toBe(h.emu.counters.rateLimited);
  });

  it('stalls beyond the client timeout: timed out, retried, stored', async () => {
    // The timeout bounds IdP calls too: USER_PASSWORD_AUTH keeps login far below it even on a busy machine.
    h = await harness(
      { issues: 120, seed: 43, knobs: { pStall: 0.05 } },
      { SPEAKUP_TIMEOUT_MS: '800', SPEAKUP_AUTH_FLOW: 'USER_PASSWORD_AUTH' },
    );
    const r = await h.sync();
    expect(r.status, r.error).toBe('succeeded');
    expect(mirrorDiff(h)).toEqual(clean);
    expect(h.emu.counters.faults.stall).toBeGreaterThan(0);
  });
});

describe('identity provider faults', () => {
  it('access tokens revoked mid-run: 401, exactly one refresh, the run goes on', async () => {
    h = await harness({ issues: 200, seed: 44, knobs: { latencyMs: 2 } });
    const refreshes = () => h!.emu.cognito.counters.operations['InitiateAuth:REFRESH_TOKEN_AUTH'] ?? 0;
    const run = h.sync();
    await waitFor(() => h!.emu.counters.requests.detail >= 60, '60 detail requests');
    h.emu.cognito.revokeAccessTokens();
    const r = await run;
    expect(r.status, r.error).toBe('succeeded');
    expect(mirrorDiff(h)).toEqual(clean);
    expect(h.emu.counters.byStatus[401]).toBeGreaterThan(0);
    expect(refreshes()).toBe(1);
    expect(h.emu.cognito.counters.operations['InitiateAuth:USER_SRP_AUTH']).toBe(1);
  });

  it('TooManyRequestsException at login: retried with backoff, then the sync succeeds', async () => {
    h = await harness({ issues: 30, seed: 45 });
    h.emu.cognito.knobs.throttleNext = 3;
    const r = await h.sync();
    expect(r.status, r.error).toBe('succeeded');
    expect(mirrorDiff(h)).toEqual(clean);
    expect(h.emu.cognito.counters.errors.TooManyRequestsException).toBe(3);
  });

  it('the IdP unreachable for a while at login, then back: the run survives', async () => {
    h = await harness({ issues: 30, seed: 46 }, { SPEAKUP_RETRY_BASE_MS: '100', SPEAKUP_MAX_ATTEMPTS: '8' });
    h.emu.cognito.knobs.unavailable = true;
    const run = h.sync();
    // Back once two login attempts have been refused: the retries are what is under test.
    await waitFor(() => (h!.emu.cognito.counters.errors.ConnectionReset ?? 0) >= 2, 'two refused login attempts');
    h.emu.cognito.knobs.unavailable = false;
    const r = await run;
    expect(r.status, r.error).toBe('succeeded');
    expect(mirrorDiff(h)).toEqual(clean);
    expect(h.emu.cognito.counters.errors.ConnectionReset).toBeGreaterThan(0);
  });

  it('the IdP unreachable mid-run while tokens are revoked, then back: the refresh is retried, the run survives', async () => {
    h = await harness(
      { issues: 150, seed: 47, knobs: { latencyMs: 2 } },
      { SPEAKUP_RETRY_BASE_MS: '100', SPEAKUP_MAX_ATTEMPTS: '8' },
    );
    const run = h.sync();
    await waitFor(() => h!.emu.counters.requests.detail >= 40, '40 detail requests');
    h.emu.cognito.knobs.unavailable = true;
    h.emu.cognito.revokeAccessTokens();
    await waitFor(() => (h!.emu.cognito.counters.errors.ConnectionReset ?? 0) >= 2, 'two refused renewal attempts');
    h.emu.cognito.knobs.unavailable = false;
    const r = await run;
    expect(r.status, r.error).toBe('succeeded');
    expect(mirrorDiff(h)).toEqual(clean);
    expect(h.emu.cognito.counters.errors.ConnectionReset).toBeGreaterThan(0);
  });

  it('the IdP unreachable longer than the retry budget: exit 1 with one clear line, nothing stored lost', async () => {
    h = await harness({ issues: 25, seed: 48 }, { SPEAKUP_MAX_ATTEMPTS: '3' });
    expect((await h.sync()).status).toBe('succeeded');
    h.emu.data.update(h.emu.data.ids()[0]!);
    const snapshot = () => {
      const db = new Database(h!.dbPath, { readonly: true });
      try {
        return db.prepare('SELECT id, data, deleted_at FROM issues ORDER BY id').all();
      } finally {
        db.close();
      }
    };
    const before = snapshot();
    h.emu.cognito.knobs.unavailable = true;
    const r = await runCli(['sync'], h.env, h.dir);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(
      /^speakup-sync: cannot reach the identity provider at 127\.0\.0\.1:\d+ \(network error\); check connectivity and SPEAKUP_COGNITO_ENDPOINT/,
    );
    expect(snapshot()).toEqual(before);
    const db = new Database(h.dbPath, { readonly: true });
    const last = db.prepare('SELECT status, error FROM sync_runs ORDER BY id DESC LIMIT 1').get() as {
      status: string;
      error: string;
    };
    db.close();
    expect(last.status).toBe('failed');
    expect(last.error).toMatch(/cannot reach the identity provider/);
  });
});
