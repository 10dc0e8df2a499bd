import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { isLocalHost, isPostgresUrl, parsePostgresUrl, redactUrl } from '../../src/db/postgres/url.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('SPEAKUP_DB as a PostgreSQL URL', () => {
  it('tells a PostgreSQL URL from an SQLite path', () => {
    expect(isPostgresUrl('postgres://u:p@127.0.0.1/db')).toBe(true);
    expect(isPostgresUrl('postgresql://u@localhost/db')).toBe(true);
    expect(isPostgresUrl('POSTGRES://u@localhost/db')).toBe(true);
    expect(isPostgresUrl('./data/mirror.db')).toBe(false);
    expect(isPostgresUrl('/var/lib/postgres/mirror.db')).toBe(false);
    expect(isPostgresUrl('postgres.db')).toBe(false);
  });

  it('parses a loopback URL and keeps the password only in the connection string', () => {
    const t = parsePostgresUrl('postgres://sync:s%40cret-pw@127.0.0.1:6543/mirror');
    expect(t).toMatchObject({
      host: '127.0.0.1',
      port: 6543,
      database: 'mirror',
      user: 'sync',
      local: true,
      sslmode: undefined,
    });
    expect(t.connectionString).toBe('postgres://sync:s%40cret-pw@127.0.0.1:6543/mirror');
    expect(t.redacted).toBe('postgres://sync:***@127.0.0.1:6543/mirror');
    expect(JSON.stringify({ ...t, connectionString: undefined })).not.toContain('cret');
  });

  it('defaults the port to 5432 and the database to the user name', () => {
    expect(parsePostgresUrl('postgresql://alice:pw@localhost')).toMatchObject({
      port: 5432,
      database: 'alice',
      user: 'alice',
    });
  });

  it('accepts a remote host with sslmode=require, verify-ca or verify-full', () => {
    for (const mode of ['require', 'verify-ca', 'verify-full']) {
      expect(parsePostgresUrl(`postgres://u:pw@db.example.com/mirror?sslmode=${mode}`)).toMatchObject({
        local: false,
        sslmode: mode,
      });
    }
  });

  it('refuses a remote host without TLS, naming both fixes and not the password', () => {
    for (const url of [
      'postgres://u:hunter2@db.example.com/mirror',
      'postgres://u:hunter2@10.0.0.5/m?sslmode=prefer',
      'postgres://u:hunter2@[2001:db8::1]/m?sslmode=disable',
    ]) {
      const err = configError(() => parsePostgresUrl(url));
      expect(err.code).toBe('CONFIG_INVALID');
      expect(err.message).toMatch(
        /is not this machine and the URL does not require TLS; add \?sslmode=require .* SPEAKUP_DB_ALLOW_PLAINTEXT=true/,
      );
      expect(err.message).not.toContain('hunter2');
      expect(err.message).not.toContain('\n');
    }
  });

  it('accepts a remote host without TLS when plaintext is explicitly allowed', () => {
    expect(parsePostgresUrl('postgres://u:pw@db.example.com/m', { allowPlaintext: true })).toMatchObject({
      local: false,
    });
  });

  it('counts loopback addresses, localhost and Unix sockets as this machine', () => {
    for (const h of [
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '[::1]',
      'localhost',
      'LOCALHOST',
      '/var/run/postgresql',
      '',
      '::ffff:127.0.0.1',
    ]) {
      expect({ h, local: isLocalHost(h) }).toEqual({ h, local: true });
    }
    for (const h of [
      '10.0.0.1',
      '128.0.0.1',
      'db.example.com',
      'localhost.example.com',
      '::2',
      '2001:db8::1',
      '0.0.0.0',
    ]) {
      expect({ h, local: isLocalHost(h) }).toEqual({ h, local: false });
    }
    expect(parsePostgresUrl('postgres://u:pw@/mirror?host=/var/run/postgresql')).toMatchObject({
      local: true,
      host: '/var/run/postgresql',
    });
  });

  it('a host parameter pointing elsewhere overrides a loopback authority', () => {
    expect(() => parsePostgresUrl('postgres://u:pw@127.0.0.1/m?host=db.example.com')).toThrow(ConfigError);
  });

  it('refuses an unknown sslmode and a malformed URL without echoing the password', () => {
    expect(configError(() => parsePostgresUrl('postgres://u:topsecret@127.0.0.1/m?sslmode=always')).message).toBe(
      'invalid configuration: SPEAKUP_DB: unknown sslmode "always" (expected one of disable, allow, prefer, no-verify, require, verify-ca, verify-full) in "postgres://u:***@127.0.0.1/m?sslmode=always"',
    );
    const bad = configError(() => parsePostgresUrl('postgres://u:topsecret@127.0.0.1:99999/m'));
    expect(bad.message).toBe(
      'invalid configuration: SPEAKUP_DB: not a valid PostgreSQL URL (got "postgres://u:***@127.0.0.1:99999/m"); expected postgres://user:password@host:5432/database',
    );
    expect(configError(() => parsePostgresUrl('mysql://u:topsecret@127.0.0.1/m')).message).not.toContain('topsecret');
  });

  it('redacts passwords in the authority and in a password parameter, parsable or not', () => {
    expect(redactUrl('postgres://u:p@ss:w0rd@h/db')).toBe('postgres://u:***@h/db');
    expect(redactUrl('postgres://u:pw@h:5432/db?password=x&sslmode=require')).toBe(
      'postgres://u:***@h:5432/db?password=***&sslmode=require',
    );
    expect(redactUrl('postgres://u@h/db')).toBe('postgres://u@h/db');
    expect(redactUrl('postgres://u:pw@h:notaport/db')).toBe('postgres://u:***@h:notaport/db');
  });
});
