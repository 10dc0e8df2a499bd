/** The logger's second line of defence: values under secret keys never reach a log line, however nested. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, stream };
}

const SECRET = {
  password: 'Pw-3f9a-secret',
  token: 'Tok-81c2-secret',
  idToken: 'Id-55d0-secret',
  accessToken: 'Acc-7e1b-secret',
  refreshToken: 'Ref-0a4c-secret',
  authorization: 'Bearer Auth-93bd-secret',
  clientSecret: 'Cs-2b6e-secret',
  secret: 'Sec-c3f7-secret',
};

describe('log redaction', () => {
  it.each([false, true])('censors every secret key at the top level and one level down (pretty %s)', (pretty) => {
    const { lines, stream } = capture();
    const log = createLogger({ level: 'debug', pretty, destination: stream });
    log.info({ ...SECRET, user: 'sync-bot' }, 'top level');
    log.debug({ auth: { ...SECRET }, headers: { authorization: SECRET.authorization, client: 'showroom' } }, 'nested');
    const text = lines.join('');
    // Control: what is not secret is logged as given.
    expect(text).toContain('sync-bot');
    expect(text).toContain('showroom');
    expect(text).toContain('[REDACTED]');
    for (const [key, value] of Object.entries(SECRET)) expect(text, key).not.toContain(value.replace('Bearer ', ''));
    if (!pretty) {
      const [top, nested] = lines.map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
      for (const key of Object.keys(SECRET)) {
        expect(top![key], key).toBe('[REDACTED]');
        expect(nested!.auth![key], key).toBe('[REDACTED]');
      }
      expect(nested!.headers).toEqual({ authorization: '[REDACTED]', client: 'showroom' });
    }
  });
});
