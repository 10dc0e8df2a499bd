import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SyncError } from '../../src/errors.js';
import { openPgMirror } from '../../src/db/postgres/store.js';
import { parsePostgresUrl } from '../../src/db/postgres/url.js';
import { testSchema } from '../helpers/postgres.js';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function openError(url: string, schema: string): Promise<SyncError> {
  const err = await openPgMirror({ connectionString: url, schema }).then(
    async (m) => {
      await m.close();
      throw new Error('expected the connection to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SyncError);
  return err as SyncError;
}

describe('connecting to a PostgreSQL mirror', () => {
  it('opens and migrates a mirror from a parsed SPEAKUP_DB URL', async () => {
    const s = testSchema('conn');
    const target = parsePostgresUrl(s.url);
    const m = await openPgMirror({ connectionString: target.connectionString, schema: s.schema });
    try {
      expect(await m.store.deletionCandidates(1)).toEqual({ missing: 0, active: 0 });
    } finally {
      await m.close();
      await s.drop();
    }
  });

  it('reports a wrong password in one line that names the user and not the password', async () => {
    const s = testSchema('conn');
    const url = new URL(s.url);
    url.password = 'wrong-secret-pw';
    const err = await openError(url.toString(), s.schema);
    expect(err.code).toBe('DB_ERROR');
    expect(err.message).toBe(
      `cannot connect to PostgreSQL "postgres://${url.username}:***@${url.host}${url.pathname}": password authentication failed for user "${url.username}"; check SPEAKUP_DB`,
    );
  });

  it('reports a server that is not there and a database that does not exist', async () => {
    const s = testSchema('conn');
    const down = new URL(s.url);
    down.port = String(await closedPort());
    expect((await openError(down.toString(), s.schema)).message).toMatch(
      /^cannot connect to PostgreSQL ".*:\*\*\*@127\.0\.0\.1:\d+\/.*": connect ECONNREFUSED 127\.0\.0\.1:\d+; check SPEAKUP_DB$/,
    );
    const nodb = new URL(s.url);
    nodb.pathname = '/no_such_database';
    expect((await openError(nodb.toString(), s.schema)).message).toMatch(
      /database "no_such_database" does not exist; check SPEAKUP_DB$/,
    );
    for (const e of [down, nodb])
      expect((await openError(e.toString(), s.schema)).message).not.toContain(decodeURIComponent(e.password));
  });
});
