/**
 * The tests' PostgreSQL server (the run's own, started on first use, or SPEAKUP_TEST_DATABASE_URL) and a
 * fresh schema per test, so test files run in parallel against one database without seeing each other.
 * Without a server these helpers throw: a PostgreSQL test fails, it never skips.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { mirrorTypes } from '../../src/db/postgres/connect.js';
import { ensureServer, type LazyServer, type ServerUrls } from './postgres-server.js';

const HOW_TO =
  'PostgreSQL tests need a server: install PostgreSQL (Debian/Ubuntu: apt-get install postgresql) so the ' +
  'test setup can start a throwaway one, or set SPEAKUP_TEST_DATABASE_URL=postgres://user:password@127.0.0.1:5432/db';

let started: ServerUrls | undefined;

/** The server's URLs: SPEAKUP_TEST_DATABASE_URL, or the run's own server (started on first use). */
function server(): ServerUrls {
  const url = inject('pgUrl');
  if (url) return { url, adminUrl: inject('pgAdminUrl') };
  const lazy = inject('pgLazy');
  if (!lazy) throw new Error(`${HOW_TO} (${inject('pgUnavailable') || 'no server'})`);
  try {
    started ??= ensureServer(JSON.parse(lazy) as LazyServer);
  } catch (err) {
    throw new Error(`${HOW_TO} (${(err as Error).message})`, { cause: err });
  }
  return started;
}

/** URL of the tests' database (an ordinary role that owns it); throws when there is no server. */
export function pgTestUrl(): string {
  return server().url;
}

/** URL of a superuser on the tests' database (for roles and grants). */
export function pgAdminUrl(): string {
  return server().adminUrl;
}

/** A schema name no other test uses: `t_<pid>_<random>`. */
export function uniqueSchemaName(prefix = 't'): string {
  return `${prefix}_${process.pid}_${randomBytes(5).toString('hex')}`;
}

export interface TestSchema {
  url: string;
  /** Not yet created: the code under test creates it (as migrations do in production). */
  schema: string;
  /** Runs SQL on a short-lived connection of the test role; values typed as the mirror's own connections type them. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/** A fresh schema name on the tests' server, with a query helper and a drop for afterEach. */
export function testSchema(prefix = 't'): TestSchema {
  const url = pgTestUrl();
  const schema = uniqueSchemaName(prefix);
  const query = async <R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> => {
    const client = new pg.Client({ connectionString: url, types: mirrorTypes });
    await client.connect();
    try {
      return await client.query<R>(text, values);
    } finally {
      await client.end();
    }
  };
  return {
    url,
    schema,
    query,
    drop: async () => {
      await query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  };
}
