import { describe, expect, it } from 'vitest';
import { parseRetryAfter, serverClockOffset } from '../../src/retry/retry-after.js';
import { isRetryable } from '../../src/retry/policy.js';
import { withRetry } from '../../src/retry/with-retry.js';
import { BadResponseError, HttpError, NetworkError } from '../../src/errors.js';

const policy = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxRetryTimeMs: 10_000, maxRetryAfterMs: 1000 };

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0')).toBe(0);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  // Date has whole seconds: taking it as the server's exact time adds up to a second to every wait.
  it("reads an HTTP-date against the answer's Date only beyond that header's one-second resolution", () => {
    const now = Date.parse('2026-01-01T00:00:00.700Z');
    const date = 'Thu, 01 Jan 2026 00:00:00 GMT';
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:01 GMT', now, date)).toBe(300);
    // A server clock an hour ahead or behind: the wait is read on its clock, taking the least difference
    // its Date allows (it cannot tell where in its second the server was).
    expect(parseRetryAfter('Thu, 01 Jan 2026 01:00:01 GMT', now, 'Thu, 01 Jan 2026 01:00:00 GMT')).toBe(1000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:02 GMT', now, 'Wed, 31 Dec 2025 23:00:00 GMT')).toBe(1000);
    expect(serverClockOffset(date, now)).toBe(0);
    expect(serverClockOffset('Thu, 01 Jan 2026 00:00:02 GMT', now)).toBe(1300);
    expect(serverClockOffset('Wed, 31 Dec 2025 23:59:58 GMT', now)).toBe(-1700);
    expect(serverClockOffset('not a date', now)).toBe(0);
  });
});

describe('isRetryable', () => {
  it.each([
    [new HttpError(429, 'GET', '/x', ''), true],
    [new HttpError(503, 'GET', '/x', ''), true],
    [new HttpError(500, 'GET', '/x', ''), true],
    [new HttpError(408, 'GET', '/x', ''), true],
    [new HttpError(404, 'GET', '/x', ''), false],
    [new HttpError(403, 'GET', '/x', ''), false],
    [new HttpError(400, 'GET', '/x', ''), false],
    [new NetworkError('HTTP_TIMEOUT', 'GET', '/x', 'slow'), true],
    [new NetworkError('HTTP_NETWORK', 'GET', '/x', 'reset'), true],
    [new BadResponseError('bad json'), false],
    [new TypeError('x'), false],
  ])('%s → %s', (err, expected) => {
    expect(isRetryable(err)).toBe(expected);
  });
});

describe('withRetry', () => {
  it('retries passing faults up to the attempt bound, then names the count', async () => {
    let calls = 0;
    const p = withRetry(async () => {
      calls++;
      throw new HttpError(503, 'GET', '/v1/public/issues/4', 'Service Unavailable');
    }, policy);
    await expect(p).rejects.toThrow('[GET] "/v1/public/issues/4": 503 Service Unavailable (gave up after 4 attempts)');
    expect(calls).toBe(4);
  });

  it('does not retry what cannot pass', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new HttpError(404, 'GET', '/x', 'Not Found');
      }, policy),
    ).rejects.toThrow(/404/);
    expect(calls).toBe(1);
  });

  it('waits a server-given Retry-After without consuming an attempt', async () => {
    let calls = 0;
    const started = Date.now();
    const result = await withRetry(
      async () => {
        calls++;
        if (calls <= 5) throw new HttpError(429, 'GET', '/x', 'Too Many Requests', 20);
        return 'ok';
      },
      policy,
      { serverWaitMs: (e) => (e instanceof HttpError ? e.retryAfterMs : undefined) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(6); // five 429s > maxAttempts: none of them consumed an attempt
    expect(Date.now() - started).toBeGreaterThanOrEqual(5 * 20 - 5);
  });

  it('stops at once when the signal aborts', async () => {
    const ac = new AbortController();
    const p = withRetry(
      async () => {
        ac.abort();
        throw new HttpError(503, 'GET', '/x', '');
      },
      { ...policy, baseDelayMs: 10_000, maxDelayMs: 10_000 },
      { signal: ac.signal },
    );
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
