import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, loadConfig } from '../../src/config/load.js';
import { configProblems, loadTestConfig } from '../helpers/config.js';

const base = {
  SPEAKUP_API_URL: 'https://api.example.test/base',
  SPEAKUP_CLIENT_SYSTEM: 'showroom',
  SPEAKUP_USER_POOL_ID: 'eu-west-1_AbC123',
  SPEAKUP_APP_CLIENT_ID: 'client123',
  SPEAKUP_USERNAME: 'sync-bot',
  SPEAKUP_PASSWORD: 'S3cret-Passw0rd!',
};

const load = loadTestConfig;
const problems = configProblems;

describe('loadConfig', () => {
  it('applies defaults and derives the region from the pool id', () => {
    const c = load(base);
    expect(c.auth).toMatchObject({ kind: 'password', region: 'eu-west-1', flow: 'USER_SRP_AUTH', endpoint: undefined });
    expect(c.api).toMatchObject({
      clientHeader: 'client',
      pageParam: 'page',
      pageSizeParam: 'pageSize',
      pageSize: 500,
      concurrency: 16,
    });
    expect(c.schedule).toEqual({ cron: '*/15 * * * *', timezone: 'UTC', runAtStart: true });
    expect(c.dbPath).toBe('/tmp/data/speakup.db');
    expect(Object.isFrozen(c.api)).toBe(true);
  });

  it('reports every problem at once, naming the variable and the expectation', () => {
    const p = problems({ SPEAKUP_PAGE_SIZE: 'abc', SPEAKUP_CONCURRENCY: '0', SPEAKUP_SCHEDULE: 'every day' });
    expect(p).toContain('SPEAKUP_PAGE_SIZE: expected an integer from 1 to 10000 (got "abc")');
    expect(p).toContain('SPEAKUP_CONCURRENCY: expected an integer from 1 to 128 (got "0")');
    expect(p.some((x) => x.startsWith('SPEAKUP_SCHEDULE: expected a cron expression'))).toBe(true);
    for (const name of [
      'SPEAKUP_API_URL',
      'SPEAKUP_CLIENT_SYSTEM',
      'SPEAKUP_USER_POOL_ID',
      'SPEAKUP_APP_CLIENT_ID',
      'SPEAKUP_USERNAME',
      'SPEAKUP_PASSWORD',
    ]) {
      expect(p.some((x) => x.startsWith(`${name}: required`))).toBe(true);
    }
  });

  it('never echoes a secret value', () => {
    const messageOf = (env: Record<string, string>): string => {
      try {
        load(env);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('expected a configuration error');
    };
    // Control: an invalid value that is not secret is echoed, so a scan of the message can see a value.
    expect(messageOf({ ...base, SPEAKUP_PAGE_SIZE: 'Zq9-page' })).toContain('"Zq9-page"');
    // Valid secrets next to other problems.
    const cc = {
      SPEAKUP_AUTH: 'client-credentials',
      SPEAKUP_API_URL: base.SPEAKUP_API_URL,
      SPEAKUP_CLIENT_SYSTEM: 'showroom',
      SPEAKUP_APP_CLIENT_ID: 'client123',
      SPEAKUP_TOKEN_URL: 'https://auth.example.test/oauth2/token',
      SPEAKUP_CLIENT_SECRET: 'Cc-Secr3t-value',
    };
    const withPassword = messageOf({ ...base, SPEAKUP_PAGE_SIZE: 'abc', SPEAKUP_API_URL: 'not a url' });
    expect(withPassword).toContain('SPEAKUP_API_URL: ');
    expect(withPassword).not.toContain(base.SPEAKUP_PASSWORD);
    const withSecret = messageOf({ ...cc, SPEAKUP_PAGE_SIZE: 'abc' });
    expect(withSecret).toContain('SPEAKUP_PAGE_SIZE: ');
    expect(withSecret).not.toContain(cc.SPEAKUP_CLIENT_SECRET);
    // Credentials embedded in a URL are refused without being repeated, for every URL variable.
    for (const [name, env] of [
      ['SPEAKUP_API_URL', { ...base, SPEAKUP_API_URL: 'https://sync-bot:Url-Secr3t@api.example.test' }],
      [
        'SPEAKUP_COGNITO_ENDPOINT',
        { ...base, SPEAKUP_COGNITO_ENDPOINT: 'https://sync-bot:Url-Secr3t@idp.example.test/' },
      ],
      [
        'SPEAKUP_TOKEN_URL',
        { ...cc, SPEAKUP_TOKEN_URL: 'https://client123:Url-Secr3t@auth.example.test/oauth2/token' },
      ],
    ] as const) {
      const message = messageOf(env);
      expect(message).toContain(`${name}: must not carry credentials in the URL`);
      expect(message, name).not.toContain('Url-Secr3t');
    }
  });

  it('refuses plaintext http except on loopback, unless explicitly allowed (with a warning)', () => {
    expect(problems({ ...base, SPEAKUP_API_URL: 'http://api.example.test' })[0]).toMatch(
      /^SPEAKUP_API_URL: http:\/\/ is refused/,
    );
    expect(problems({ ...base, SPEAKUP_COGNITO_ENDPOINT: 'http://10.1.2.3:9229/' })[0]).toMatch(
      /^SPEAKUP_COGNITO_ENDPOINT: http:\/\/ is refused/,
    );
    expect(load({ ...base, SPEAKUP_API_URL: 'http://127.0.0.1:8080' }).warnings).toEqual([]);
    expect(load({ ...base, SPEAKUP_API_URL: 'http://localhost:8080' }).warnings).toEqual([]);
    const allowed = load({ ...base, SPEAKUP_API_URL: 'http://api.example.test', SPEAKUP_ALLOW_INSECURE_HTTP: '1' });
    expect(allowed.warnings[0]).toMatch(/plaintext http/);
  });

  it('rejects credentials embedded in a URL and unknown enum values', () => {
    const p = problems({ ...base, SPEAKUP_API_URL: 'https://user:pw@api.example.test', SPEAKUP_AUTH_FLOW: 'CUSTOM' });
    expect(p).toContain('SPEAKUP_API_URL: must not carry credentials in the URL');
    expect(p.some((x) => x.startsWith('SPEAKUP_AUTH_FLOW: expected USER_SRP_AUTH or USER_PASSWORD_AUTH'))).toBe(true);
  });

  it('reads .env from the working directory, the real environment winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(
      join(dir, '.env'),
      Object.entries({ ...base, SPEAKUP_PAGE_SIZE: '50', SPEAKUP_CONCURRENCY: '4' })
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    );
    const c = loadConfig({ SPEAKUP_CONCURRENCY: '8' }, { cwd: dir });
    expect(c.api.pageSize).toBe(50);
    expect(c.api.concurrency).toBe(8);
    expect(c.auth.username).toBe('sync-bot');
  });

  it('knows loopback hosts', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '[::1]', '::1'].every(isLoopbackHost)).toBe(true);
    expect(['10.0.0.1', '128.0.0.1', 'example.com', 'localhost.evil.com'].some(isLoopbackHost)).toBe(false);
  });
});
