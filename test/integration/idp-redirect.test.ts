/**
 * A redirect from the identity provider never carries credentials elsewhere. The emulated Cognito
 * endpoint answers every request with 307 (which a fetch would follow with the same body) to a second
 * server on another port; the Cognito (SRP and USER_PASSWORD_AUTH) and Amplify providers must fail with
 * one line naming the redirect, and the second server must receive nothing. A control shows that the
 * same redirect, followed by a plain fetch, does deliver the body there.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenProvider } from '../../src/cli/compose.js';
import { loadConfig } from '../../src/config/load.js';
import { startEmulator, type Emulator } from '../../src/emulator/start.js';
import { AuthError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';

let emu: Emulator;
let trap: Server;
let trapUrl: string;
let dir: string;
const caught: { url: string; body: string }[] = [];

beforeAll(async () => {
  emu = await startEmulator({ issues: 1, seed: 3 });
  trap = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      caught.push({ url: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/collect`;
  dir = mkdtempSync(join(tmpdir(), 'speakup-idp-redirect-'));
});

afterAll(async () => {
  await emu?.close();
  await new Promise((resolve) => trap?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const config = (extra: Record<string, string>) =>
  loadConfig(
    {
      ...emu.env(),
      SPEAKUP_DB: join(dir, 'mirror.db'),
      SPEAKUP_RETRY_BASE_MS: '5',
      SPEAKUP_TIMEOUT_MS: '5000',
      ...extra,
    },
    { dotenv: false, cwd: dir },
  );

describe('a 307 from the identity provider to another host', () => {
  it('is followed with the credentials by a plain fetch (the control)', async () => {
    emu.cognito.knobs.redirectTo = trapUrl;
    caught.length = 0;
    try {
      await fetch(emu.env().SPEAKUP_COGNITO_ENDPOINT!, { method: 'POST', body: '{"PASSWORD":"control"}' });
    } finally {
      emu.cognito.knobs.redirectTo = undefined;
    }
    expect(caught).toEqual([{ url: '/collect', body: '{"PASSWORD":"control"}' }]);
  });

  for (const [name, env] of [
    ['password provider, SRP', { SPEAKUP_AUTH: 'password' }],
    ['password provider, USER_PASSWORD_AUTH', { SPEAKUP_AUTH: 'password', SPEAKUP_AUTH_FLOW: 'USER_PASSWORD_AUTH' }],
    ['Amplify provider', { SPEAKUP_AUTH: 'amplify' }],
  ] as const) {
    it(`${name}: login fails with one line naming the redirect, and nothing reaches the other host`, async () => {
      emu.cognito.knobs.redirectTo = trapUrl;
      caught.length = 0;
      const tokens = createTokenProvider(config(env), silentLogger());
      let error: unknown;
      try {
        await tokens.getToken();
      } catch (err) {
        error = err;
      } finally {
        emu.cognito.knobs.redirectTo = undefined;
        await tokens.close?.();
      }
      expect(caught).toEqual([]);
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).message).toMatch(
        /^the identity provider at 127\.0\.0\.1:\d+ answered with a redirect: credentials are never sent on to another address; set SPEAKUP_COGNITO_ENDPOINT/,
      );
      expect((error as AuthError).message).not.toContain(emu.password);
      // The guard is gone once the provider is closed: the global fetch is the platform's again.
      expect(globalThis.fetch.name).toBe('fetch');
    });
  }
});
