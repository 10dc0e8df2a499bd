/**
 * The sync end to end, in-process: real emulator over HTTP on 127.0.0.1, SRP login with the real
 * amazon-cognito-identity-js, real SQLite file. Each test asserts the mirror against the emulator's data.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { IssueDetail } from '../../src/api/types.js';
import { createHold } from '../../src/emulator/api/hold.js';
import { harness, mirrorDiff, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/reliability.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const clean = { missing: [], extra: [], different: [] };

describe('full sync', () => {
  it('mirrors every field of every issue', async () => {
    h = await harness({ issues: 60, seed: 7 });
    const r = await h.sync();
    expect(r.status).toBe('succeeded');
    expect(r.counts).toMatchObject({ listed: 60, fetched: 60, unchanged: 0, deleted: 0, failed: 0 });
    expect(mirrorDiff(h)).toEqual(clean);

    const db = h.read();
    try {
      for (const id of h.emu.data.ids()) {
        const d = h.emu.data.get(id) as IssueDetail;
        const row = db.prepare('SELECT * FROM issues WHERE id = ?').get(id) as Record<string, unknown>;
        expect(row).toMatchObject({
          custom_id: d.customId ?? null,
          summary: d.summary ?? null,
          description: d.description ?? null,
          status: d.status ?? null,
          issue_type: d.issueType ?? null,
          channel: d.channel ?? null,
          domain_id: d.domain?.id ?? null,
          domain_name: d.domain?.name ?? null,
          assignee_name: d.assignee?.name ?? null,
          labels: JSON.stringify(d.labels ?? []),
          updated_at: new Date(d.updatedAt).toISOString(),
          received_at: d.receivedAt ? new Date(d.receivedAt).toISOString() : null,
          acknowledged_at: d.acknowledgedAt ? new Date(d.acknowledgedAt).toISOString() : null,
          due_at: d.dueAt ? new Date(d.dueAt).toISOString() : null,
          deleted_at: null,
        });
        const fields = (d.forms ?? []).flatMap((f) => f.fields);
        const stored = db
          .prepare(
            'SELECT field_id, type, value_text, value_number, value_json FROM issue_field_values WHERE issue_id = ? ORDER BY position',
          )
          .all(id) as Record<string, unknown>[];
        expect(stored.map((s) => s.field_id)).toEqual(fields.map((f) => String(f.id)));
      }
      const types = (
        db.prepare('SELECT DISTINCT type FROM issue_field_values ORDER BY type').all() as { type: string }[]
      ).map((r) => r.type);
      expect(types).toEqual(expect.arrayContaining(['boolean', 'date', 'multiselect', 'number', 'select', 'text']));
      const run = db.prepare('SELECT * FROM sync_runs WHERE id = ?').get(r.runId) as Record<string, unknown>;
      expect(run).toMatchObject({ status: 'succeeded', listed: 60, fetched: 60, failed: 0, error: null });
    } finally {
      db.close();
    }
  });

  it.each(['page', 'envelope', 'unpaged'] as const)(
    'works with %s paging, server-capped page sizes and a path prefix',
    async (paging) => {
      h = await harness({ issues: 53, prefix: '/api', knobs: { paging, pageSizeMax: 7 } }, { SPEAKUP_PAGE_SIZE: '10' });
      const r = await h.sync({}, { SPEAKUP_API_URL: `${h.emu.apiUrl}/` });
      expect(r.status).toBe('succeeded');
      expect(r.counts.listed).toBe(53);
      expect(mirrorDiff(h)).toEqual(clean);
      // unpaged: the second page repeats the first; envelope: hasMore=false ends it; page: an empty page does.
      const expected = { unpaged: 2, envelope: Math.ceil(53 / 7), page: Math.ceil(53 / 7) + 1 }[paging];
      expect(h.emu.counters.requests.list).toBe(expected);
    },
  );
});

describe('incremental sync', () => {
  it('fetches only new and changed issues, and records history', async () => {
    h = await harness({ issues: 40 });
    await h.sync();
    const ids = h.emu.data.ids();
    const changed = [ids[3]!, ids[17]!, ids[30]!];
    const statusChanged = changed.filter((id) => h!.emu.data.get(id)!.status !== 'ON_HOLD');
    for (const id of changed) h.emu.data.update(id, { status: 'ON_HOLD' });
    const added = h.emu.data.add(2);
    const before = h.emu.counters.requests.detail;

    const r = await h.sync();
    expect(r.status).toBe('succeeded');
    expect(r.counts).toMatchObject({ listed: 42, fetched: 5, unchanged: 37, failed: 0 });
    expect(h.emu.counters.requests.detail - before).toBe(5);
    expect([...h.emu.counters.detailById.keys()]).toEqual(expect.arrayContaining([...changed, ...added]));
    expect(mirrorDiff(h)).toEqual(clean);

    const db = h.read();
    try {
      const rows = db
        .prepare(
          "SELECT issue_id, new_value FROM issue_changes WHERE field = 'status' AND run_id = ? AND old_value IS NOT NULL ORDER BY issue_id",
        )
        .all(r.runId);
      expect(rows).toEqual(statusChanged.map((id) => ({ issue_id: id, new_value: 'ON_HOLD' })));
      expect(statusChanged.length).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });

  it('refetches everything with --full', async () => {
    h = await harness({ issues: 25 });
    await h.sync();
    const r = await h.sync({ full: true });
    expect(r.counts).toMatchObject({ listed: 25, fetched: 25, unchanged: 0 });
  });

  it('soft-deletes what a complete listing no longer holds, and restores it when it returns', async () => {
    h = await harness({ issues: 30 });
    await h.sync();
    const gone = h.emu.data.ids().slice(5, 7);
    for (const id of gone) h.emu.data.remove(id);
    const r = await h.sync();
    expect(r.counts.deleted).toBe(2);
    let db = h.read();
    const deletedRows = db
      .prepare('SELECT id, deleted_at, data FROM issues WHERE deleted_at IS NOT NULL ORDER BY id')
      .all() as { id: number; data: string }[];
    expect(deletedRows.map((x) => x.id)).toEqual(gone);
    expect(deletedRows.every((x) => JSON.parse(x.data).id === x.id)).toBe(true);
    expect(db.prepare('SELECT count(*) AS n FROM current_issues').get()).toEqual({ n: 28 });
    db.close();

    h.emu.data.add({ id: gone[0]! });
    const back = await h.sync();
    expect(back.counts.deleted).toBe(0);
    db = h.read();
    expect(db.prepare('SELECT deleted_at FROM issues WHERE id = ?').get(gone[0])).toEqual({ deleted_at: null });
    expect(db.prepare('SELECT count(*) AS n FROM issues').get()).toEqual({ n: 30 });
    db.close();
    expect(mirrorDiff(h)).toEqual(clean);
  });
});

describe('passing faults', () => {
  it.each(['seconds', 'http-date', 'none'] as const)(
    'honours 429 with Retry-After (%s) and completes',
    async (retryAfterMode) => {
      h = await harness(
        { issues: 60, knobs: { rateLimit: { rps: 100, burst: 10 }, retryAfterMode } },
        { SPEAKUP_CONCURRENCY: '8' },
      );
      const r = await h.sync();
      expect(r.status).toBe('succeeded');
      expect(h.emu.counters.rateLimited).toBeGreaterThan(0);
      expect(r.counts.throttled).toBe(h.emu.counters.rateLimited);
      expect(mirrorDiff(h)).toEqual(clean);
    },
  );

  it('paces to an advertised RateLimit-Policy without being refused', async () => {
    h = await harness(
      { issues: 60, knobs: { rateLimit: { rps: 150, burst: 5 }, advertisePolicy: true } },
      { SPEAKUP_CONCURRENCY: '8' },
    );
    const r = await h.sync();
    expect(r.status).toBe('succeeded');
    // Only the first requests, sent before the policy was known, may meet an empty bucket.
    expect(h.emu.counters.rateLimited).toBeLessThanOrEqual(8);
    expect(mirrorDiff(h)).toEqual(clean);
  });

  it('retries 5xx and connection resets until the mirror is complete', async () => {
    h = await harness({ issues: 80, seed: 3, knobs: { p5xx: 0.15, pReset: 0.05 } });
    const r = await h.sync();
    expect(r.status).toBe('succeeded');
    expect(h.emu.counters.faults['5xx']).toBeGreaterThan(0);
    expect(h.emu.counters.faults.reset).toBeGreaterThan(0);
    expect(r.counts.retries).toBeGreaterThanOrEqual(h.emu.counters.faults['5xx'] + h.emu.counters.faults.reset);
    expect(mirrorDiff(h)).toEqual(clean);
  });

  it('refreshes and logs in again when tokens expire in the middle of a run', async () => {
    h = await harness(
      {
        issues: 100,
        knobs: { latencyMs: 60 },
        cognito: { idTokenTtlSec: 2, accessTokenTtlSec: 2, refreshTokenTtlSec: 3 },
      },
      { SPEAKUP_CONCURRENCY: '2' },
    );
    const r = await h.sync();
    expect(r.status).toBe('succeeded');
    expect(r.durationMs).toBeGreaterThan(3000);
    const ops = h.emu.cognito.counters.operations;
    expect(ops['InitiateAuth:REFRESH_TOKEN_AUTH']).toBeGreaterThan(0);
    expect(ops['InitiateAuth:USER_SRP_AUTH']).toBeGreaterThan(1);
    expect(h.emu.counters.byStatus[401] ?? 0).toBe(0);
    expect(mirrorDiff(h)).toEqual(clean);
  });

  it('renews once after a 401 for a revoked token and goes on', async () => {
    // A generous timeout: an IdP call retried because the machine was slow would count as a second renewal.
    h = await harness(
      { issues: 40 },
      { SPEAKUP_CONCURRENCY: '4', SPEAKUP_PAGE_SIZE: '10', SPEAKUP_TIMEOUT_MS: '30000' },
    );
    // Four detail requests wait at the emulator with the first token while it is revoked.
    const hold = createHold(['detail'], { after: 5 });
    h.emu.knobs.hold = hold;
    const run = h.sync();
    await waitFor(() => hold.waiting >= 4, 'four detail requests held in flight');
    const logins = () =>
      Object.entries(h!.emu.cognito.counters.operations)
        .filter(([op]) => op.startsWith('InitiateAuth:'))
        .reduce((n, [, c]) => n + c, 0);
    const before = logins();
    expect(before).toBe(1);
    h.emu.cognito.revokeAccessTokens();
    hold.release();
    const r = await run;
    expect(r.status, r.error).toBe('succeeded');
    // All four met the revoked token; they shared one renewal (a refresh), then went on.
    expect(h.emu.counters.byStatus[401]).toBeGreaterThanOrEqual(4);
    expect(logins() - before).toBe(1);
    expect(h.emu.cognito.counters.operations['InitiateAuth:REFRESH_TOKEN_AUTH']).toBe(1);
    expect(mirrorDiff(h)).toEqual(clean);
  });
});

describe('per-item failures', () => {
  it('stores everything else when one detail is persistently broken, and retries it next run', async () => {
    h = await harness({ issues: 30 });
    const broken = h.emu.data.ids()[11]!;
    h.emu.knobs.failIds.add(broken);
    const r = await h.sync();
    expect(r.status).toBe('partial');
    expect(r.counts).toMatchObject({ listed: 30, fetched: 29, failed: 1 });
    expect(r.failures).toEqual([expect.objectContaining({ issueId: broken, code: 'HTTP_STATUS' })]);
    expect(r.failures[0]!.message).toContain(`/v1/public/issues/${broken}`);
    expect(mirrorDiff(h).missing).toEqual([broken]);

    h.emu.knobs.failIds.clear();
    const again = await h.sync();
    expect(again.status).toBe('succeeded');
    expect(again.counts).toMatchObject({ fetched: 1, unchanged: 29 });
    expect(mirrorDiff(h)).toEqual(clean);
  });
});
