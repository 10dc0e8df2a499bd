/**
 * The real sync core into a PostgreSQL mirror, against the emulator over HTTP: full and incremental runs,
 * history, deletions and returns, and two runs at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHold } from '../../src/emulator/api/hold.js';
import { pgHarness, type PgHarness } from '../helpers/postgres-harness.js';
import { waitFor } from '../helpers/reliability.js';

describe('sync into PostgreSQL', () => {
  let h: PgHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('mirrors every issue of a full sync exactly, with the run logged', async () => {
    h = await pgHarness({ issues: 60 });
    const r = await h.sync({ full: true });
    expect(r).toMatchObject({ status: 'succeeded', counts: { listed: 60, fetched: 60, failed: 0 } });
    const stored = await h.rows<{ id: number; data: unknown }>('SELECT id, data FROM $schema.issues ORDER BY id');
    expect(stored.map((s) => s.id)).toEqual([...h.emu.data.ids()].sort((a, b) => a - b));
    for (const s of stored) expect({ id: s.id, data: s.data }).toEqual({ id: s.id, data: h.emu.data.get(s.id) });
    expect(await h.rows('SELECT status, listed, fetched, "full" FROM $schema.latest_runs')).toEqual([
      { status: 'succeeded', listed: 60, fetched: 60, full: true },
    ]);
    const [counts] = await h.rows<{ issues: number; current: number; fts: number }>(
      'SELECT (SELECT count(*)::int FROM $schema.issue_sightings) AS issues, (SELECT count(*)::int FROM $schema.current_issues) AS current, (SELECT count(*)::int FROM $schema.issues_fts) AS fts',
    );
    expect(counts).toEqual({ issues: 60, current: 60, fts: 60 });
  });

  it('fetches only what changed, records the changes, soft-deletes what vanished and brings it back', async () => {
    h = await pgHarness({ issues: 40 });
    expect((await h.sync()).status).toBe('succeeded');
    const ids = h.emu.data.ids();
    const changed = ids.slice(0, 3).filter((id) => h!.emu.data.get(id)!.status !== 'ON_HOLD');
    for (const id of changed) h.emu.data.update(id, { status: 'ON_HOLD' });
    const gone = ids.slice(10, 12);
    for (const id of gone) h.emu.data.remove(id);
    const before = h.emu.counters.requests.detail;
    const r2 = await h.sync();
    expect(r2).toMatchObject({ status: 'succeeded', counts: { fetched: changed.length, deleted: 2 } });
    // The changed details, and one confirmation (a 404) per vanished issue.
    expect(h.emu.counters.requests.detail - before).toBe(changed.length + gone.length);
    const history = await h.rows<{ issue_id: number }>(
      `SELECT issue_id FROM $schema.issue_changes WHERE field = 'status' AND new_value = 'ON_HOLD' AND old_value IS NOT NULL ORDER BY issue_id`,
    );
    expect(history.map((c) => c.issue_id)).toEqual([...changed].sort((a, b) => a - b));
    const deleted = await h.rows<{ id: number }>(
      'SELECT id FROM $schema.issues WHERE deleted_at IS NOT NULL ORDER BY id',
    );
    expect(deleted.map((d) => d.id)).toEqual([...gone].sort((a, b) => a - b));
    h.emu.data.add({ id: gone[0]! });
    expect((await h.sync()).status).toBe('succeeded');
    const back = await h.rows<{ id: number }>('SELECT id FROM $schema.issues WHERE deleted_at IS NOT NULL');
    expect(back.map((d) => d.id)).toEqual([gone[1]]);
  });

  it('lets one of two simultaneous runs through; the other is refused, naming the holder', async () => {
    h = await pgHarness({ issues: 20 });
    const hold = createHold(['detail']);
    h.emu.knobs.hold = hold;
    const first = h.sync({ full: true }, { pid: 111, host: 'host-one' });
    await waitFor(() => hold.waiting > 0, 'the first run to be fetching details');
    const second = await h.sync({}, { pid: 222, host: 'host-two' }).catch((e: unknown) => e);
    expect(second).toMatchObject({ code: 'LOCKED' });
    expect(String((second as Error).message)).toContain('111');
    hold.release();
    expect((await first).status).toBe('succeeded');
    expect((await h.sync({}, { pid: 222, host: 'host-two' })).status).toBe('succeeded');
  });
});
