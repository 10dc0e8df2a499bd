/**
 * The emulator's observability knobs over real HTTP on 127.0.0.1: the hold gate (requests counted on
 * arrival, answered only once released) and refusals with a chosen Retry-After, set in-process or through
 * the control server of an emulator running in its own process.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHold } from '../../src/emulator/api/hold.js';
import { createApiKnobs } from '../../src/emulator/api/knobs.js';
import { startControlServer } from '../../src/emulator/control.js';
import { startEmulator, type Emulator } from '../../src/emulator/start.js';
import { waitFor } from '../helpers/reliability.js';

const ISSUES = '/v1/public/issues';
let emu: Emulator;
let token = '';

beforeAll(async () => {
  emu = await startEmulator({ issues: 20 });
});
afterAll(() => emu.close());
beforeEach(() => {
  token = emu.cognito.mintTokens(emu.username).idToken;
});
afterEach(() => {
  Object.assign(emu.knobs, createApiKnobs());
  emu.counters.reset();
});

function get(path: string): Promise<Response> {
  return fetch(`${emu.apiUrl}${path}`, { headers: { client: 'showroom', authorization: `Bearer ${token}` } });
}

describe('observability knobs', () => {
  it('hold keeps matching requests counted but unanswered until released', async () => {
    const hold = createHold(['detail'], { after: 1 });
    emu.knobs.hold = hold;
    const id = emu.data.ids()[0]!;
    expect((await get(`${ISSUES}/${id}`)).status).toBe(200);
    expect((await get(ISSUES)).status).toBe(200);
    const pending = get(`${ISSUES}/${id}`);
    await waitFor(() => hold.waiting === 1, 'the second detail request to wait at the gate');
    expect(emu.counters.requests.detail).toBe(2);
    expect(emu.counters.byStatus[200]).toBe(2);
    // Authenticated only once released: a token revoked while it waits is refused.
    emu.cognito.revokeAccessTokens();
    hold.release();
    expect((await pending).status).toBe(401);
    expect(hold).toMatchObject({ waiting: 0, arrived: 1 });
  });

  it('the control server closes and opens the gate and sets refusals, for an emulator in another process', async () => {
    const control = await startControlServer(emu);
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${control.url}/__emulator/${path}`, { method: 'POST', body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    try {
      expect(await post('hold', { kinds: ['detail'] })).toEqual({ status: 200, body: { waiting: 0, arrived: 0 } });
      expect((await post('hold', { kinds: ['nope'] })).status).toBe(400);
      const pending = get(`${ISSUES}/${emu.data.ids()[0]}`);
      await waitFor(() => emu.knobs.hold?.waiting === 1, 'a detail request at the gate');
      expect(await post('hold', { release: true })).toEqual({ status: 200, body: { waiting: 1, arrived: 1 } });
      expect((await pending).status).toBe(200);
      expect(emu.knobs.hold).toBeNull();

      expect((await post('knobs', { refuseNext: 1, refuseRetryAfterSec: 3 })).status).toBe(200);
      const refused = await get(ISSUES);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('3');
      expect(refused.headers.get('x-ratelimit-limit')).toBeNull();
      expect((await get(ISSUES)).status).toBe(200);
      expect((await post('knobs', { refuseNext: -1 })).status).toBe(400);
    } finally {
      await control.close();
    }
  });
});
