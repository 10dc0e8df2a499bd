/**
 * The CLI against a PostgreSQL mirror: an emulator harness (its environment supplies the API settings), a
 * fresh schema on the tests' server, and the environment that points SPEAKUP_DB at it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { harness, type Harness } from './harness.js';
import { testSchema, type TestSchema } from './postgres.js';
import type { StartEmulatorOptions } from '../../src/emulator/start.js';

export interface PgCli {
  h: Harness;
  pg: TestSchema;
  /** The CLI's environment: the emulator's settings, SPEAKUP_DB = the test server, SPEAKUP_DB_SCHEMA = the test schema. */
  env: Record<string, string>;
  /** The password of the test server's URL (must never be printed or stored). */
  password: string;
  /** Rows of a query; `$schema` is replaced by the quoted schema name. */
  rows<R extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

export async function pgCli(emuOpts: StartEmulatorOptions = {}): Promise<PgCli> {
  const h = await harness(emuOpts);
  const pg = testSchema('cli');
  const password = decodeURIComponent(new URL(pg.url).password);
  return {
    h,
    pg,
    password,
    env: { ...h.env, SPEAKUP_DB: pg.url, SPEAKUP_DB_SCHEMA: pg.schema },
    async rows<R extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]> {
      return (await pg.query<R>(text.replaceAll('$schema', `"${pg.schema}"`), values)).rows;
    },
    async close() {
      await h.close();
      await pg.drop();
    },
  };
}

/** Whether a session holds the run lock of `schema` (read from pg_locks, without taking it). */
export async function runLockHeld(pg: TestSchema, schema = pg.schema): Promise<boolean> {
  const { rows } = await pg.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
       AND ((classid::bigint << 32) | objid::bigint) = hashtextextended('speakup-sync:run:' || $1, 0)`,
    [schema],
  );
  return rows[0]!.n > 0;
}

/** Polls an asynchronous condition until it holds (the event itself, with a generous timeout). */
export async function until(cond: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
