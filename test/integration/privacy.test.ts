/**
 * Retention and data minimisation against the real emulator and real SQLite files: a reconcile run
 * brings content cleared at the source without a new updatedAt into the mirror; deleted issues are
 * purged at the configured age (an injected clock); SPEAKUP_EXCLUDE keeps text out of every byte of the
 * database file and its -wal, full-text index included.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createApi, createTokenProvider, openStore } from '../../src/cli/compose.js';
import { silentLogger } from '../../src/log.js';
import { runSync, type SyncOptions } from '../../src/sync/run-sync.js';
import { withRunLock } from '../../src/sync/run-lock.js';
import type { SyncResult } from '../../src/sync/types.js';
import { runCli, startCli } from '../helpers/cli.js';
import { harness, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/reliability.js';

const DAY = 86_400_000;

function inFileBytes(dbPath: string, text: string): boolean {
  const needle = Buffer.from(text, 'utf8');
  return [dbPath, `${dbPath}-wal`].some((p) => existsSync(p) && readFileSync(p).includes(needle));
}

/** One run of the real sync core with its clock fixed at `at`. */
async function runAt(h: Harness, at: Date, opts: Partial<SyncOptions> = {}): Promise<SyncResult> {
  const cfg = h.config();
  const log = silentLogger();
  const db = openStore(cfg, log);
  const tokens = createTokenProvider(cfg, log);
  const api = createApi(cfg, tokens, log);
  try {
    return await withRunLock(db.lock, { wait: false, log }, () =>
      db.withRunThreads((writer) =>
        runSync(
          { api, store: db.store, writer, log, now: () => at },
          {
            full: false,
            concurrency: 4,
            trigger: 'manual',
            maxDeleteShare: 0.5,
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
}

function one<T>(h: Harness, sql: string, ...params: unknown[]): T {
  const db = h.read();
  try {
    return db.prepare(sql).get(...params) as T;
  } finally {
    db.close();
  }
}

describe('privacy', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('a reconcile run stores content cleared at the source with an unchanged updatedAt', async () => {
    h = await harness({ issues: 20, seed: 3 });
    const id = h.emu.data.ids()[2]!;
    h.emu.data.update(id, { description: 'a statement that will be cleared' });
    expect((await h.sync()).status).toBe('succeeded');
    const before = h.emu.data.get(id)!;
    // Cleared at the source the way a retention policy may do it: the version stamp does not move.
    h.emu.data.update(id, { description: null, updatedAt: before.updatedAt });
    expect(h.emu.data.get(id)!.updatedAt).toBe(before.updatedAt);

    expect((await h.sync()).counts.fetched).toBe(0);
    expect(one<{ description: string }>(h, 'SELECT description FROM issues WHERE id = ?', id).description).toBe(
      'a statement that will be cleared',
    );

    const reconcile = await h.sync({ full: true, trigger: 'reconcile' });
    expect(reconcile.status).toBe('succeeded');
    expect(
      one<{ description: string | null }>(h, 'SELECT description FROM issues WHERE id = ?', id).description,
    ).toBeNull();
    expect(
      one<{ trigger: string; full: number }>(h, 'SELECT trigger, full FROM sync_runs WHERE id = ?', reconcile.runId),
    ).toEqual({ trigger: 'reconcile', full: 1 });
  }, 60_000);

  it('purges a deleted issue once it has been deleted for SPEAKUP_PURGE_DELETED_AFTER, keeping ids, dates and history', async () => {
    h = await harness({ issues: 20, seed: 4 });
    const t0 = new Date(Date.UTC(2026, 0, 10));
    expect((await runAt(h, t0)).status).toBe('succeeded');
    const id = h.emu.data.ids()[5]!;
    h.emu.data.remove(id);
    const purge = { purgeDeletedAfterMs: 30 * DAY };

    const deleting = await runAt(h, t0, purge);
    expect([deleting.counts.deleted, deleting.counts.purged]).toEqual([1, 0]);
    const early = await runAt(h, new Date(t0.getTime() + 30 * DAY - 1), purge);
    expect(early.counts.purged).toBe(0);
    expect(one<{ n: number }>(h, 'SELECT count(*) AS n FROM issues_fts WHERE rowid = ?', id).n).toBe(1);

    const due = await runAt(h, new Date(t0.getTime() + 30 * DAY), purge);
    expect(due.counts.purged).toBe(1);
    expect(one<{ purged: number }>(h, 'SELECT purged FROM sync_runs WHERE id = ?', due.runId).purged).toBe(1);
    const row = one<Record<string, unknown>>(
      h,
      'SELECT summary, description, data, custom_id, created_at, first_seen_at, deleted_at, purged_at FROM issues WHERE id = ?',
      id,
    );
    expect(row).toMatchObject({
      summary: null,
      description: null,
      data: '{}',
      deleted_at: t0.toISOString(),
      purged_at: new Date(t0.getTime() + 30 * DAY).toISOString(),
    });
    expect(row.custom_id).not.toBeNull();
    expect(row.created_at).not.toBeNull();
    expect(one<{ n: number }>(h, 'SELECT count(*) AS n FROM issue_field_values WHERE issue_id = ?', id).n).toBe(0);
    expect(one<{ n: number }>(h, 'SELECT count(*) AS n FROM issues_fts WHERE rowid = ?', id).n).toBe(0);
    expect(one<{ n: number }>(h, 'SELECT count(*) AS n FROM issue_changes WHERE issue_id = ?', id).n).toBeGreaterThan(
      0,
    );
    // Purged once: a later run finds nothing more to do.
    expect((await runAt(h, new Date(t0.getTime() + 40 * DAY), purge)).counts.purged).toBe(0);
  }, 60_000);

  it('a retention of 0 purges in the run that confirms the deletion', async () => {
    h = await harness({ issues: 12, seed: 5 });
    const at = new Date(Date.UTC(2026, 1, 1));
    await runAt(h, at);
    const id = h.emu.data.ids()[0]!;
    h.emu.data.remove(id);
    const run = await runAt(h, at, { purgeDeletedAfterMs: 0 });
    expect([run.counts.deleted, run.counts.purged]).toEqual([1, 1]);
    expect(one<{ data: string }>(h, 'SELECT data FROM issues WHERE id = ?', id).data).toBe('{}');
    // Back at the source: a purged issue reads as never fetched, so its content is stored again.
    h.emu.data.add({ id, summary: 'returned' });
    expect((await runAt(h, at, { purgeDeletedAfterMs: 0 })).status).toBe('succeeded');
    expect(
      one<Record<string, unknown>>(h, 'SELECT summary, deleted_at, purged_at FROM issues WHERE id = ?', id),
    ).toEqual({ summary: 'returned', deleted_at: null, purged_at: null });
  }, 60_000);

  it('SPEAKUP_EXCLUDE keeps a path and a labelled field out of every byte of the file, full-text index included', async () => {
    const hidden = `zqxhidden${Date.now().toString(36)}`;
    const shown = `zqxshown${Date.now().toString(36)}`;
    h = await harness(
      { issues: 10, seed: 6 },
      { SPEAKUP_EXCLUDE: 'description, reporter.messages, Witness statement' },
    );
    const id = h.emu.data.ids()[3]!;
    h.emu.data.update(id, {
      summary: `summary ${shown}`,
      description: `described ${hidden}`,
      reporter: { name: 'kept', messages: [`wrote ${hidden}`] },
      forms: [
        {
          id: 'f1',
          name: 'Intake',
          fields: [
            { id: 'a', label: 'Witness statement', type: 'text', value: `saw ${hidden}` },
            { id: 'b', label: 'Location', type: 'text', value: `at ${shown}` },
          ],
        },
      ],
    });
    const res = await runCli(['sync', '--quiet'], h.env, h.dir);
    expect(res.code).toBe(0);
    expect(inFileBytes(h.dbPath, shown)).toBe(true); // the scan finds what is stored
    expect(inFileBytes(h.dbPath, hidden)).toBe(false);
    const row = one<{ description: string | null; data: string }>(
      h,
      'SELECT description, data FROM issues WHERE id = ?',
      id,
    );
    expect(row.description).toBeNull();
    expect(JSON.parse(row.data)).toMatchObject({ reporter: { name: 'kept' } });
    expect(JSON.parse(row.data).reporter.messages).toBeUndefined();
    expect(
      one<{ n: number }>(
        h,
        "SELECT count(*) AS n FROM issue_field_values WHERE issue_id = ? AND label = 'Witness statement'",
        id,
      ).n,
    ).toBe(0);
    expect(
      one<{ n: number }>(
        h,
        "SELECT count(*) AS n FROM issue_field_values WHERE issue_id = ? AND label = 'Location'",
        id,
      ).n,
    ).toBe(1);
  }, 60_000);

  it('the daemon runs reconciles on SPEAKUP_RECONCILE_SCHEDULE: full runs with trigger reconcile', async () => {
    h = await harness({ issues: 8, seed: 8 });
    const id = h.emu.data.ids()[1]!;
    h.emu.data.update(id, { description: 'cleared later' });
    expect((await h.sync()).status).toBe('succeeded');
    h.emu.data.update(id, { description: null, updatedAt: h.emu.data.get(id)!.updatedAt });
    const env = {
      ...h.env,
      SPEAKUP_SCHEDULE: '0 0 1 1 *',
      SPEAKUP_RUN_AT_START: '0',
      SPEAKUP_RECONCILE_SCHEDULE: '*/1 * * * * *',
    };
    const { child, result } = startCli(['daemon'], env, h.dir);
    try {
      const reconciled = () => {
        try {
          return (
            one<{ n: number }>(
              h!,
              "SELECT count(*) AS n FROM sync_runs WHERE trigger = 'reconcile' AND status = 'succeeded' AND \"full\" = 1",
            ).n > 0
          );
        } catch {
          return false; // the daemon holds a write: read again
        }
      };
      await waitFor(reconciled, 'a finished reconcile run', 30_000, 100);
    } finally {
      child.kill('SIGTERM');
    }
    expect((await result).code).toBe(0);
    expect(
      one<{ description: string | null }>(h, 'SELECT description FROM issues WHERE id = ?', id).description,
    ).toBeNull();
  }, 60_000);
});
