/**
 * The identity provider's requests over node:http (src/auth/idp-transport.ts): what a fetch caller sends
 * arrives as sent, the answer reads as a fetch Response does, failures reject as fetch rejects, and a
 * login through the Cognito library sends no request through fetch itself.
 */
import dc from 'node:diagnostics_channel';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CognitoPasswordProvider } from '../../src/auth/cognito-password.js';
import { idpRequest } from '../../src/auth/idp-transport.js';
import { loadConfig } from '../../src/config/load.js';
import { startEmulator, type Emulator } from '../../src/emulator/start.js';
import { silentLogger } from '../../src/log.js';
import { retryPolicy } from '../../src/retry/policy.js';

let server: Server | undefined;
let emu: Emulator | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await emu?.close();
  server = emu = undefined;
});

/** A loopback server answering every request with `reply`, recording what it received. */
async function serve(reply: { status: number; headers: Record<string, string>; body: string }) {
  const seen: { method?: string; headers?: Record<string, unknown>; body?: string } = {};
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      Object.assign(seen, { method: req.method, headers: req.headers, body });
      res.writeHead(reply.status, reply.headers).end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`), seen };
}

describe('idpRequest', () => {
  it('sends the method, headers and body, and reads status, headers, text and JSON', async () => {
    const { url, seen } = await serve({
      status: 400,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'NotAuthorizedException:' },
      body: '{"__type":"NotAuthorizedException","message":"Incorrect username or password."}',
    });
    const res = await idpRequest(url, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth' },
      body: '{"AuthFlow":"USER_SRP_AUTH"}',
    });
    expect(seen).toMatchObject({
      method: 'POST',
      headers: { 'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth' },
      body: '{"AuthFlow":"USER_SRP_AUTH"}',
    });
    expect(res).toMatchObject({ status: 400, ok: false, statusText: 'Bad Request', url: url.href });
    expect(res!.headers.get('X-Amzn-ErrorType')).toBe('NotAuthorizedException:');
    expect(res!.headers.has('x-missing')).toBe(false);
    const names: string[] = [];
    res!.headers.forEach((_v, name) => names.push(name));
    expect(names).toContain('content-type');
    expect(await res!.json()).toEqual({ __type: 'NotAuthorizedException', message: 'Incorrect username or password.' });
    expect(await res!.text()).toMatch(/^\{"__type"/);
  });

  it('rejects as fetch does: a TypeError caused by the network error, or the abort reason', async () => {
    const { url } = await serve({ status: 200, headers: {}, body: '' });
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const refused = await idpRequest(url, { method: 'POST', body: '{}' })!.catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(TypeError);
    expect((refused as TypeError).cause).toMatchObject({ code: 'ECONNREFUSED' });
    const abort = new AbortController();
    const reason = new Error('stopped');
    abort.abort(reason);
    await expect(idpRequest(url, { method: 'POST', signal: abort.signal })).rejects.toBe(reason);
  });

  it('leaves a streamed body to fetch', () => {
    expect(idpRequest(new URL('http://127.0.0.1:9/'), { method: 'POST', body: new ReadableStream() })).toBeUndefined();
  });

  it('carries an SRP login to the emulator without a request through fetch', async () => {
    emu = await startEmulator({ issues: 1, seed: 3 });
    const config = loadConfig({ ...emu.env(), SPEAKUP_DB: ':memory:' }, { dotenv: false });
    if (config.auth.kind !== 'password') throw new Error('expected the password provider');
    let fetched = 0;
    const count = (): void => void fetched++;
    dc.subscribe('undici:request:create', count);
    const provider = new CognitoPasswordProvider({
      auth: config.auth,
      timeoutMs: 5000,
      retry: retryPolicy(config.retry),
      log: silentLogger(),
    });
    try {
      expect(await provider.getToken()).toMatch(/^ey/);
      expect(provider.stats.logins).toBe(1);
      expect(fetched).toBe(0);
    } finally {
      dc.unsubscribe('undici:request:create', count);
      await provider.close();
    }
  });
});
