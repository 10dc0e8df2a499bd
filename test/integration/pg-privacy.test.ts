/**
 * Retention and erasure on a PostgreSQL mirror, with the real sync core against the emulator: erase
 * empties rows and columns (PostgreSQL files cannot be byte-scanned: its old row versions are VACUUM's
 * business), an erased issue stays empty when it changes at the source, --undo brings it back, an unknown
 * id changes nothing, purge at the configured age (injected clock), and a reconcile run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createApi, createTokenProvider } from '../../src/cli/compose.js';
import { loadConfig } from '../../src/config/load.js';
import { UnknownIssueError } from '../../src/db/erase.js';
import { createPgDetailWriter } from '../../src/db/postgres/detail-writer.js';
import { createPgPrivacy } from '../../src/db/postgres/privacy.js';
import { openPgMirror } from '../../src/db/postgres/store.js';
import { parseJsonBody } from '../../src/json-body.js';
import { silentLogger } from '../../src/log.js';
import { toIssueRecord } from '../../src/sync/map-issue.js';
import type { FetchedDetail } from '../../src/sync/ports.js';
import { runSync, type SyncOptions } from '../../src/sync/run-sync.js';
import { withRunLock } from '../../src/sync/run-lock.js';
import type { SyncResult } from '../../src/sync/types.js';
import { runCli } from '../helpers/cli.js';
import { FAST_RETRY_ENV } from '../helpers/harness.js';
import { pgHarness, type PgHarness } from '../helpers/postgres-harness.js';

const DAY = 86_400_000;
const ACTOR = { osUser: 'dpo', host: 'test-host' };
const toRecord = (d: FetchedDetail) => toIssueRecord(parseJsonBody(d.path, d.raw), d.syncedAt, d.id, d.raw);

/** One run of the real core into the harness's schema, its clock fixed at `at`. */
async function runAt(h: PgHarness, at: Date, opts: Partial<SyncOptions> = {}): Promise<SyncResult> {
  const config = loadConfig(
    { ...h.emu.env(), SPEAKUP_DB: '/nonexistent/unused.db', ...FAST_RETRY_ENV },
    { dotenv: false },
  );
  const log = silentLogger();
  const mirror = await openPgMirror({ connectionString: h.pg.url, schema: h.pg.schema });
  const tokens = createTokenProvider(config, log);
  const api = createApi(config, tokens, log);
  try {
    return await withRunLock(mirror.lock, { wait: false, log }, () =>
      runSync(
        { api, store: mirror.store, writer: createPgDetailWriter(mirror, toRecord), log, now: () => at },
        {
          full: false,
          concurrency: 4,
          trigger: 'manual',
          maxDeleteShare: 0.5,
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
}

/** The privacy operations on the harness's schema, closed after `fn`. */
async function withPrivacy<T>(h: PgHarness, fn: (p: ReturnType<typeof createPgPrivacy>) => Promise<T>): Promise<T> {
  const mirror = await openPgMirror({ connectionString: h.pg.url, schema: h.pg.schema });
  try {
    return await fn(createPgPrivacy(mirror.pool, h.pg.schema));
  } finally {
    await mirror.close();
  }
}

/** Rows anywhere in the mirror's content tables that hold `text`. */
async function holding(h: PgHarness, text: string): Promise<number> {
  const [r] = await h.rows<{ n: number }>(
    `SELECT (SELECT count(*) FROM $schema.issues WHERE data::text LIKE $1 OR summary LIKE $1 OR description LIKE $1)
          + (SELECT count(*) FROM $schema.issue_field_values WHERE value_text LIKE $1 OR value_json::text LIKE $1)
          + (SELECT count(*) FROM $schema.issues_fts WHERE summary LIKE $1 OR description LIKE $1 OR field_text LIKE $1 OR document::text LIKE $1) AS n`,
    [`%${text}%`],
  );
  return Number(r!.n);
}

function plant(h: PgHarness, id: number, marker: string): void {
  h.emu.data.update(id, {
    summary: `about ${marker}`,
    description: `the report of ${marker}`,
    forms: [
      { id: 'f', name: 'Form', fields: [{ id: 'm', label: 'Statement', type: 'text', value: `said ${marker}` }] },
    ],
  });
}

describe('privacy on PostgreSQL', () => {
  let h: PgHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('erases content now, keeps it out when the issue changes at the source, brings it back on undo', async () => {
    h = await pgHarness({ issues: 20, seed: 16 });
    const id = h.emu.data.ids()[3]!;
    const marker = `zqxpg${Date.now().toString(36)}`;
    plant(h, id, marker);
    expect((await h.sync()).status).toBe('succeeded');
    expect(await holding(h, marker)).toBeGreaterThan(0);

    const at = new Date().toISOString();
    expect(await withPrivacy(h, (p) => p.erase([id], at, ACTOR))).toEqual([id]);
    expect(await holding(h, marker)).toBe(0);
    const [row] = await h.rows(
      'SELECT summary, description, data, custom_id IS NOT NULL AS custom, erased_at IS NOT NULL AS erased, purged_at IS NOT NULL AS purged FROM $schema.issues WHERE id = $1',
      [id],
    );
    expect(row).toEqual({ summary: null, description: null, data: {}, custom: true, erased: true, purged: true });
    expect(await h.rows('SELECT action, issue_ids, os_user, host FROM $schema.erase_log')).toEqual([
      { action: 'erase', issue_ids: JSON.stringify([id]), os_user: 'dpo', host: 'test-host' },
    ]);

    plant(h, id, `${marker}again`);
    h.emu.data.update(id, { status: 'closed' });
    expect((await h.sync({ full: true })).status).toBe('succeeded');
    expect(await holding(h, marker)).toBe(0);
    expect(
      await h.rows(
        "SELECT new_value FROM $schema.issue_changes WHERE issue_id = $1 AND field = 'status' ORDER BY id DESC LIMIT 1",
        [id],
      ),
    ).toEqual([{ new_value: 'closed' }]);

    await withPrivacy(h, (p) => p.undo([id], new Date().toISOString(), ACTOR));
    expect((await h.sync()).status).toBe('succeeded');
    expect(await h.rows('SELECT description FROM $schema.issues WHERE id = $1', [id])).toEqual([
      { description: `the report of ${marker}again` },
    ]);
  }, 60_000);

  it('refuses an unknown id and changes nothing', async () => {
    h = await pgHarness({ issues: 5, seed: 2 });
    await h.sync();
    const before = await h.rows('SELECT id, data, erased_at FROM $schema.issues ORDER BY id');
    const known = h.emu.data.ids()[0]!;
    const err = await withPrivacy(h, (p) => p.erase([known, 999999999], new Date().toISOString(), ACTOR)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnknownIssueError);
    expect((err as Error).message).toMatch(/^no issue 999999999 in the mirror; nothing was erased/);
    expect(await h.rows('SELECT id, data, erased_at FROM $schema.issues ORDER BY id')).toEqual(before);
    expect(await h.rows('SELECT * FROM $schema.erase_log')).toEqual([]);
  }, 60_000);

  it('purges at the configured age and counts it in the run log', async () => {
    h = await pgHarness({ issues: 12, seed: 5 });
    const t0 = new Date(Date.UTC(2026, 0, 10));
    await runAt(h, t0);
    const id = h.emu.data.ids()[2]!;
    h.emu.data.remove(id);
    const purge = { purgeDeletedAfterMs: 30 * DAY };
    expect((await runAt(h, t0, purge)).counts).toMatchObject({ deleted: 1, purged: 0 });
    expect((await runAt(h, new Date(t0.getTime() + 30 * DAY - 1), purge)).counts.purged).toBe(0);
    const due = await runAt(h, new Date(t0.getTime() + 30 * DAY), purge);
    expect(due.counts.purged).toBe(1);
    expect(await h.rows('SELECT purged FROM $schema.sync_runs WHERE id = $1', [due.runId])).toEqual([{ purged: 1 }]);
    const [row] = await h.rows<{
      data: unknown;
      summary: string | null;
      n_fields: string;
      n_fts: string;
      history: string;
    }>(
      `SELECT data, summary, (SELECT count(*) FROM $schema.issue_field_values WHERE issue_id = $1) AS n_fields,
              (SELECT count(*) FROM $schema.issues_fts WHERE issue_id = $1) AS n_fts,
              (SELECT count(*) FROM $schema.issue_changes WHERE issue_id = $1) AS history
       FROM $schema.issues WHERE id = $1`,
      [id],
    );
    expect(row).toMatchObject({ data: {}, summary: null });
    expect([Number(row!.n_fields), Number(row!.n_fts)]).toEqual([0, 0]);
    expect(Number(row!.history)).toBeGreaterThan(0);
  }, 60_000);

  it('a reconcile run stores content cleared at the source with an unchanged updatedAt', async () => {
    h = await pgHarness({ issues: 10, seed: 9 });
    const id = h.emu.data.ids()[1]!;
    h.emu.data.update(id, { description: 'to be cleared' });
    await h.sync();
    h.emu.data.update(id, { description: null, updatedAt: h.emu.data.get(id)!.updatedAt });
    await h.sync();
    expect(await h.rows('SELECT description FROM $schema.issues WHERE id = $1', [id])).toEqual([
      { description: 'to be cleared' },
    ]);
    const r = await h.sync({ full: true, trigger: 'reconcile' });
    expect(await h.rows('SELECT description FROM $schema.issues WHERE id = $1', [id])).toEqual([{ description: null }]);
    expect(await h.rows('SELECT trigger FROM $schema.sync_runs WHERE id = $1', [r.runId])).toEqual([
      { trigger: 'reconcile' },
    ]);
  }, 60_000);

  it('speakup-sync erase works on a PostgreSQL SPEAKUP_DB: exit 0 and empty rows, exit 1 for an unknown id', async () => {
    h = await pgHarness({ issues: 6, seed: 11 });
    await h.sync();
    const id = h.emu.data.ids()[2]!;
    const env = { SPEAKUP_DB: h.pg.url, SPEAKUP_DB_SCHEMA: h.pg.schema };
    const ok = await runCli(['erase', '--issue', String(id)], env, process.cwd());
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^erased issue ${id} at \\S+Z: content removed`));
    expect(await h.rows('SELECT data, summary FROM $schema.issues WHERE id = $1', [id])).toEqual([
      { data: {}, summary: null },
    ]);
    const bad = await runCli(['erase', '--issue', '999999999'], env, process.cwd());
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^speakup-sync: no issue 999999999 in the mirror; nothing was erased/);
    expect(await h.rows<{ n: number }>('SELECT count(*)::int AS n FROM $schema.erase_log')).toEqual([{ n: 1 }]);
  }, 60_000);
});
