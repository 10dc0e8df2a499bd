/**
 * The largest detail accepted (SPEAKUP_MAX_DETAIL_BYTES): a larger answer fails that issue alone, with
 * its size in the failure, and the run goes on; duplicate ids on one page are fetched once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('bounds on what the server sends', () => {
  it('a detail over SPEAKUP_MAX_DETAIL_BYTES is a per-issue failure naming its size; the others are stored', async () => {
    h = await harness({ issues: 4 }, { SPEAKUP_MAX_DETAIL_BYTES: String(1024 * 1024) });
    const big = h.emu.data.ids()[1]!;
    h.emu.data.setDetailOverride(big, { ...(h.emu.data.get(big) as object), padding: 'x'.repeat(2 * 1024 * 1024) });
    const r = await h.sync();
    expect(r.status).toBe('partial');
    expect(r.counts).toMatchObject({ fetched: 3, failed: 1 });
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]).toMatchObject({ issueId: big, code: 'BAD_RESPONSE' });
    expect(r.failures[0]!.message).toMatch(
      /body of \d{7} bytes \(content-length\) is larger than the 1048576 bytes accepted; raise SPEAKUP_MAX_DETAIL_BYTES/,
    );
    // Not retried: one request for it.
    expect(h.emu.counters.detailById.get(big)).toBe(1);
  });

  it('an id listed twice on one page is fetched once', async () => {
    h = await harness({ issues: 5 });
    const list = h.emu.data.list();
    h.emu.data.setListOverride(({ page }) => (page === 1 ? [...list, list[2]] : []));
    const r = await h.sync();
    expect(r.status).toBe('succeeded');
    expect(r.counts).toMatchObject({ listed: 5, fetched: 5 });
    expect(h.emu.counters.detailById.get(list[2]!.id)).toBe(1);
  });
});
