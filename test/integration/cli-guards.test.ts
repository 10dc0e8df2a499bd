/**
 * Guards the README promises, through the CLI: the mass-delete guard at its threshold (default and
 * SPEAKUP_MAX_DELETE_SHARE), a run just under it deleting normally, --allow-mass-delete, a Retry-After
 * waited out, and `status` refusing a bad SPEAKUP_STALE_AFTER with exit 78.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { trackRequestTimes } from '../../src/emulator/control.js';
import { lastLine, runCli } from '../helpers/cli.js';
import { harness, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function deletedCount(x: Harness): number {
  const db = x.read();
  try {
    return (db.prepare('SELECT count(*) AS n FROM issues WHERE deleted_at IS NOT NULL').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('the mass-delete guard', () => {
  it('deletes up to the share, refuses one more (exit 2, nothing deleted), and --allow-mass-delete overrides it', async () => {
    h = await harness({ issues: 20 });
    const sync = async (env: Record<string, string> = {}, args: string[] = []) =>
      runCli(['sync', ...args], { ...h!.env, ...env }, h!.dir);
    expect((await sync()).code).toBe(0);
    const gone = (n: number): number[] => {
      const ids = h!.emu.data.ids().slice(0, n);
      for (const id of ids) h!.emu.data.remove(id);
      return ids;
    };

    // SPEAKUP_MAX_DELETE_SHARE=0.2 of 20: 4 is the most one run may delete, and it does.
    gone(4);
    const atShare = await sync({ SPEAKUP_MAX_DELETE_SHARE: '0.2' });
    expect(atShare.code, atShare.stderr).toBe(0);
    expect(atShare.stdout).toMatch(/ 4 deleted, /);
    expect(deletedCount(h)).toBe(4);

    // 4 more of the 16 left is over 20%: refused, exit 2, nothing deleted, one line saying how to override.
    gone(4);
    const over = await sync({ SPEAKUP_MAX_DELETE_SHARE: '0.2' });
    expect(over.code).toBe(2);
    expect(over.stderr).toContain(
      'refused to soft-delete 4 of 16 issues (more than 20%): the listing may be wrong; if these deletions are real, run once with --allow-mass-delete',
    );
    expect(deletedCount(h)).toBe(4);

    // The default share is a half: the same 4 of 16 go.
    const underDefault = await sync();
    expect(underDefault.code, underDefault.stderr).toBe(0);
    expect(deletedCount(h)).toBe(8);

    // Default, at the boundary: 7 of 12 is over half and refused; exactly half (6 of 12) goes.
    const seven = gone(7);
    const overHalf = await sync();
    expect(overHalf.code).toBe(2);
    expect(overHalf.stderr).toContain('refused to soft-delete 7 of 12 issues (more than 50%)');
    expect(deletedCount(h)).toBe(8);
    h.emu.data.add({ id: seven[0]! });
    const atHalf = await sync();
    expect(atHalf.code, atHalf.stderr).toBe(0);
    expect(atHalf.stdout).toMatch(/ 6 deleted, /);
    expect(deletedCount(h)).toBe(14);

    // All 6 left but one is far over the share: --allow-mass-delete deletes them all the same.
    gone(5);
    const forced = await sync({}, ['--allow-mass-delete']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(deletedCount(h)).toBe(19);
  }, 120_000);
});

describe('a 429 with Retry-After', () => {
  it('is waited out before the request is sent again, and counted as throttled', async () => {
    h = await harness({ issues: 5 });
    // Arrival times of API requests, recorded by the emulator as they come in.
    const { times } = trackRequestTimes(h.emu.counters);
    // The first request (list page 1) is refused with Retry-After: 2; fast backoff would retry in ms.
    Object.assign(h.emu.knobs, { refuseNext: 1, refuseRetryAfterSec: 2 });
    let served: number | undefined;
    h.emu.data.setListOverride(({ items }) => {
      served ??= Date.now();
      return items;
    });
    const r = await runCli(['sync'], h.env, h.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(h.emu.counters.byStatus[429]).toBe(1);
    expect(r.stdout).toMatch(/, 1 throttled/);
    // A lower bound only: a slow machine makes the gap longer, never shorter.
    expect(served! - times.list.first).toBeGreaterThanOrEqual(2000);
  }, 60_000);
});

describe('speakup-sync status', () => {
  it('exits 78 naming SPEAKUP_STALE_AFTER when it is not a duration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'speakup-status-'));
    try {
      const r = await runCli(['status'], { SPEAKUP_DB: join(dir, 'none.db'), SPEAKUP_STALE_AFTER: 'soon' }, dir);
      expect(r.code).toBe(78);
      expect(lastLine(r.stderr)).toContain(
        'SPEAKUP_STALE_AFTER: expected a duration such as 90m, 2h or 1d (got "soon")',
      );
      expect(r.stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
