/**
 * Integration harness: a real emulator on 127.0.0.1, a temp directory with a real SQLite file, the real
 * composition (Cognito provider, HTTP client, Drizzle store) and the real sync core, in-process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createApi, createTokenProvider, openStore } from '../../src/cli/compose.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { startEmulator, type Emulator, type StartEmulatorOptions } from '../../src/emulator/start.js';
import { silentLogger } from '../../src/log.js';
import { runSync, type SyncOptions } from '../../src/sync/run-sync.js';
import { withRunLock } from '../../src/sync/run-lock.js';
import type { SyncResult } from '../../src/sync/types.js';

/** Fast retries for tests: the policy is the same, the time scale is not. */
export const FAST_RETRY_ENV = { SPEAKUP_RETRY_BASE_MS: '5', SPEAKUP_TIMEOUT_MS: '2000' };

export interface Harness {
  emu: Emulator;
  dir: string;
  dbPath: string;
  /** The environment a CLI child needs (emulator + temp DB + fast retries + extras). */
  env: Record<string, string>;
  config(extra?: Record<string, string>): Config;
  /** One in-process sync run. */
  sync(opts?: Partial<SyncOptions>, extraEnv?: Record<string, string>): Promise<SyncResult>;
  /** A read-only connection to the mirror (close it). */
  read(): Database.Database;
  close(): Promise<void>;
}

export async function harness(
  emuOpts: StartEmulatorOptions = {},
  extraEnv: Record<string, string> = {},
): Promise<Harness> {
  const emu = await startEmulator(emuOpts);
  const dir = mkdtempSync(join(tmpdir(), 'speakup-sync-'));
  const dbPath = join(dir, 'data', 'mirror.db');
  const env = { ...emu.env(), SPEAKUP_DB: dbPath, ...FAST_RETRY_ENV, ...extraEnv };
  const config = (extra: Record<string, string> = {}) => loadConfig({ ...env, ...extra }, { dotenv: false, cwd: dir });
  return {
    emu,
    dir,
    dbPath,
    env,
    config,
    async sync(opts = {}, more = {}) {
      const cfg = config(more);
      const log = silentLogger();
      const db = openStore(cfg, log);
      const tokens = createTokenProvider(cfg, log);
      const api = createApi(cfg, tokens, log);
      try {
        return await withRunLock(db.lock, { wait: false, log }, () =>
          db.withRunThreads((writer) =>
            runSync(
              { api, store: db.store, writer, log, ...(cfg.fieldMap ? { fieldMap: cfg.fieldMap } : {}) },
              {
                full: false,
                concurrency: cfg.api.concurrency,
                trigger: 'manual',
                maxDeleteShare: cfg.maxDeleteShare,
                allowMassDelete: false,
                ...opts,
              },
            ),
          ),
        );
      } finally {
        api.close();
        await tokens.close?.();
        db.close();
      }
    },
    read: () => new Database(dbPath, { readonly: true }),
    async close() {
      await emu.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every stored issue's `data` JSON, by id (deleted ones included). */
export function storedDetails(db: Database.Database): Map<number, unknown> {
  const rows = db.prepare('SELECT id, data FROM issues').all() as { id: number; data: string }[];
  return new Map(rows.map((r) => [r.id, JSON.parse(r.data) as unknown]));
}

/** Asserts-friendly summary: the mirror equals the emulator's live data set exactly. */
export function mirrorDiff(h: Harness): { missing: number[]; extra: number[]; different: number[] } {
  const db = h.read();
  try {
    const stored = storedDetails(db);
    const live = new Set(h.emu.data.ids());
    const deleted = new Set(
      (db.prepare('SELECT id FROM issues WHERE deleted_at IS NOT NULL').all() as { id: number }[]).map((r) => r.id),
    );
    const missing = [...live].filter((id) => !stored.has(id) || deleted.has(id));
    const extra = [...stored.keys()].filter((id) => !live.has(id) && !deleted.has(id));
    const different = [...live].filter(
      (id) => stored.has(id) && JSON.stringify(stored.get(id)) !== JSON.stringify(h.emu.data.get(id)),
    );
    return { missing, extra, different };
  } finally {
    db.close();
  }
}
