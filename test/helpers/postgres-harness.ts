/**
 * Integration harness for a PostgreSQL mirror: a real emulator on 127.0.0.1, a fresh schema on the tests'
 * PostgreSQL server, the real composition of API client and token provider, the PostgreSQL ports and the
 * real sync core, in-process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { createApi, createTokenProvider } from '../../src/cli/compose.js';
import { loadConfig } from '../../src/config/load.js';
import { createPgDetailWriter } from '../../src/db/postgres/detail-writer.js';
import { openPgMirror } from '../../src/db/postgres/store.js';
import { parseJsonBody } from '../../src/json-body.js';
import { startEmulator, type Emulator, type StartEmulatorOptions } from '../../src/emulator/start.js';
import { silentLogger } from '../../src/log.js';
import { toIssueRecord } from '../../src/sync/map-issue.js';
import type { FetchedDetail } from '../../src/sync/ports.js';
import { runSync, type SyncOptions } from '../../src/sync/run-sync.js';
import { withRunLock } from '../../src/sync/run-lock.js';
import type { SyncResult } from '../../src/sync/types.js';
import { FAST_RETRY_ENV } from './harness.js';
import { testSchema, type TestSchema } from './postgres.js';

/** What the composition root passes the PostgreSQL detail writer: the core's parse and map. */
const toRecord = (d: FetchedDetail) => toIssueRecord(parseJsonBody(d.path, d.raw), d.syncedAt, d.id, d.raw);

export interface PgHarness {
  emu: Emulator;
  pg: TestSchema;
  /** One in-process sync run into the PostgreSQL schema; `identity` poses as another process. */
  sync(opts?: Partial<SyncOptions>, identity?: { pid: number; host: string }): Promise<SyncResult>;
  /** Rows of a query on the mirror; `$schema` in the text is replaced by the quoted schema name. */
  rows<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

export async function pgHarness(emuOpts: StartEmulatorOptions = {}): Promise<PgHarness> {
  const emu = await startEmulator(emuOpts);
  const dir = mkdtempSync(join(tmpdir(), 'speakup-pg-sync-'));
  const schema = testSchema('sync');
  // SPEAKUP_DB is not read here: the mirror is the test schema; configuration supplies API and retry settings.
  const env = { ...emu.env(), SPEAKUP_DB: join(dir, 'unused.db'), ...FAST_RETRY_ENV };
  const config = loadConfig(env, { dotenv: false, cwd: dir });
  return {
    emu,
    pg: schema,
    async sync(opts = {}, identity) {
      const log = silentLogger();
      const mirror = await openPgMirror({
        connectionString: schema.url,
        schema: schema.schema,
        ...(identity ? { identity } : {}),
      });
      const tokens = createTokenProvider(config, log);
      const api = createApi(config, tokens, log);
      try {
        return await withRunLock(mirror.lock, { wait: false, log }, () =>
          runSync(
            { api, store: mirror.store, writer: createPgDetailWriter(mirror, toRecord), log },
            {
              full: false,
              concurrency: config.api.concurrency,
              trigger: 'manual',
              maxDeleteShare: config.maxDeleteShare,
              allowMassDelete: false,
              ...opts,
            },
          ),
        );
      } finally {
        api.close();
        await tokens.close?.();
        await mirror.close();
      }
    },
    async rows<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> {
      return (await schema.query<R>(text.replaceAll('$schema', `"${schema.schema}"`), values)).rows;
    },
    async close() {
      await emu.close();
      await schema.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
