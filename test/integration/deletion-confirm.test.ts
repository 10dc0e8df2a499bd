/**
 * Deletions confirmed by the source: the emulator deletes, inserts and reorders issues between two page
 * requests of one listing (the second page request waits at a gate while the world changes), under each
 * paging style. A live issue the listing skipped is never marked deleted; a deletion is recorded only
 * when the issue's detail answers 404.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHold } from '../../src/emulator/api/hold.js';
import type { PagingMode } from '../../src/emulator/api/knobs.js';
import { harness, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/reliability.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const PAGE = { SPEAKUP_PAGE_SIZE: '10' };

/** A mirror of 30 issues, then a second run during which `change` happens after page 1 was served. */
async function changedDuringListing(paging: PagingMode, change: (ids: number[]) => void, opts = {}) {
  h = await harness({ issues: 30, seed: 13 }, PAGE);
  h.emu.knobs.paging = paging;
  expect((await h.sync()).status).toBe('succeeded');
  const ids = h.emu.data.ids();
  const hold = createHold(['list'], { after: 1 });
  h.emu.knobs.hold = hold;
  const run = h.sync(opts);
  await waitFor(() => hold.waiting >= 1, 'the second list request held at the gate');
  change(ids);
  hold.release();
  return { ids, result: await run };
}

function deletedIds(harn: Harness): number[] {
  const db = harn.read();
  try {
    return (db.prepare('SELECT id FROM issues WHERE deleted_at IS NOT NULL ORDER BY id').all() as { id: number }[]).map(
      (r) => r.id,
    );
  } finally {
    db.close();
  }
}

function runRow(harn: Harness, runId: number): Record<string, unknown> {
  const db = harn.read();
  try {
    return db.prepare('SELECT status, deleted, unconfirmed, error FROM sync_runs WHERE id = ?').get(runId) as Record<
      string,
      unknown
    >;
  } finally {
    db.close();
  }
}

describe('a deletion must be confirmed by the source', () => {
  it.each(['page', 'envelope'] as const)(
    '%s paging: an issue deleted from a served page: the live issue skipped by the shift is kept, the deleted one is deleted once its detail answers 404',
    async (paging) => {
      const { ids, result } = await changedDuringListing(paging, (ids) => h!.emu.data.remove(ids[3]!));
      // The shift hid ids[10] from the listing; its detail still answers, so it is kept and counted.
      // ids[3] was listed on page 1 before it went: this run cannot know yet.
      expect(result.counts).toMatchObject({ deleted: 0, unconfirmed: 1 });
      expect(result.status).toBe('partial');
      expect(deletedIds(h!)).toEqual([]);
      expect(runRow(h!, result.runId)).toMatchObject({ status: 'partial', deleted: 0, unconfirmed: 1 });
      // The next listing misses ids[3] only, and its detail answers 404: deleted, and nothing else.
      const next = await h!.sync();
      expect(next.status).toBe('succeeded');
      expect(next.counts).toMatchObject({ deleted: 1, unconfirmed: 0 });
      expect(deletedIds(h!)).toEqual([ids[3]]);
    },
  );

  it.each(['page', 'envelope'] as const)(
    '%s paging: an issue inserted on a served page makes pages overlap: no deletions, a warning naming SPEAKUP_PAGE_PARAM',
    async (paging) => {
      const { result } = await changedDuringListing(paging, (ids) => {
        h!.emu.data.remove(ids[25]!);
        const gap = ids.findIndex((id, i) => i < 9 && ids[i + 1]! - id > 1);
        h!.emu.data.add({ id: ids[gap]! + 1 });
      });
      expect(result.status).toBe('partial');
      expect(result.error).toContain('SPEAKUP_PAGE_PARAM');
      expect(result.counts.deleted).toBe(0);
      expect(deletedIds(h!)).toEqual([]);
    },
  );

  it.each(['page', 'envelope'] as const)(
    '%s paging: issues reordered across a page boundary: the one never listed is not deleted',
    async (paging) => {
      const { ids, result } = await changedDuringListing(paging, (ids) => {
        // Page 2 now starts with the last issue of page 1; the first issue of page 2 is listed nowhere.
        h!.emu.data.setListOverride(({ page, items }) =>
          page === 2 ? [h!.emu.data.list().find((s) => s.id === ids[9]), ...items.slice(1)] : items,
        );
      });
      expect(result.error).toContain('SPEAKUP_PAGE_PARAM');
      expect(result.counts.deleted).toBe(0);
      expect(deletedIds(h!)).not.toContain(ids[10]);
    },
  );

  it('unpaged: a deletion between two requests of the whole list waits for a listing that did not move, then is confirmed', async () => {
    const { ids, result } = await changedDuringListing('unpaged', (ids) => h!.emu.data.remove(ids[3]!));
    expect(result.counts.deleted).toBe(0);
    expect(result.error).toContain('SPEAKUP_PAGE_PARAM');
    const next = await h!.sync();
    expect(next.status).toBe('succeeded');
    expect(next.counts.deleted).toBe(1);
    expect(deletedIds(h!)).toEqual([ids[3]]);
  });

  it('a server that ignores the page parameter repeats page 1: nothing deleted, even with mass deletion allowed', async () => {
    h = await harness({ issues: 30, seed: 13 }, PAGE);
    expect((await h.sync()).status).toBe('succeeded');
    h.emu.knobs.ignorePageParam = true;
    const r = await h.sync({ allowMassDelete: true });
    expect(r.status).toBe('partial');
    expect(r.error).toContain('SPEAKUP_PAGE_PARAM');
    expect(r.counts.deleted).toBe(0);
    expect(deletedIds(h)).toEqual([]);
  });

  it('the mass-delete guard refuses before any confirmation request is made', async () => {
    h = await harness({ issues: 30, seed: 13 }, PAGE);
    expect((await h.sync()).status).toBe('succeeded');
    const ids = h.emu.data.ids();
    for (const id of ids.slice(0, 20)) h.emu.data.remove(id);
    const details = h.emu.counters.requests.detail;
    const r = await h.sync();
    expect(r.status).toBe('partial');
    expect(r.error).toMatch(/refused to soft-delete 20 of 30/);
    expect(h.emu.counters.requests.detail).toBe(details);
    expect(deletedIds(h)).toEqual([]);
  });
});
