/** SPEAKUP_LOCK_STALE_AFTER: parsed as a duration, bounded, and always far above the heartbeat interval. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LOCK_STALE_MS, lockHeartbeatMs } from '../../src/db/lock.js';
import { configProblems, loadTestConfig } from '../helpers/config.js';

const base = {
  SPEAKUP_API_URL: 'https://api.example.test/base',
  SPEAKUP_CLIENT_SYSTEM: 'showroom',
  SPEAKUP_USER_POOL_ID: 'eu-west-1_AbC123',
  SPEAKUP_APP_CLIENT_ID: 'client123',
  SPEAKUP_USERNAME: 'sync-bot',
  SPEAKUP_PASSWORD: 'S3cret-Passw0rd!',
};

describe('SPEAKUP_LOCK_STALE_AFTER', () => {
  it('defaults to 10 minutes and reads durations', () => {
    expect(loadTestConfig(base).lockStaleAfterMs).toBe(DEFAULT_LOCK_STALE_MS);
    expect(loadTestConfig({ ...base, SPEAKUP_LOCK_STALE_AFTER: '90s' }).lockStaleAfterMs).toBe(90_000);
    expect(loadTestConfig({ ...base, SPEAKUP_LOCK_STALE_AFTER: '2s' }).lockStaleAfterMs).toBe(2_000);
  });

  it.each(['500ms', '2d', 'soon', '0'])('refuses %s, naming the variable and the accepted range', (value) => {
    const found = configProblems({ ...base, SPEAKUP_LOCK_STALE_AFTER: value });
    expect(found.join('\n')).toMatch(/SPEAKUP_LOCK_STALE_AFTER.*a duration from 1s to 1d/);
  });

  it('beats at least six times within the stale limit, never rarer than every 10 s', () => {
    for (const stale of [1_000, 2_000, 59_999, 60_000, DEFAULT_LOCK_STALE_MS, 86_400_000]) {
      const beat = lockHeartbeatMs(stale);
      expect(beat).toBeGreaterThan(0);
      expect(beat * 6).toBeLessThanOrEqual(stale);
      expect(beat).toBeLessThanOrEqual(10_000);
    }
  });
});
