/**
 * Fetching pauses when four write batches are waiting: the CLI sync runs while the test holds the
 * database's write lock, so no batch can be written; the detail requests must stop short of the whole
 * list (four batches, the one being filled and the requests in flight), and the run completes once the
 * lock is let go. The listing is recorded before the lock is taken, so only the writer is held up.
 * (A changed issue is sighted when its page is listed: that is what the test waits for.)
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createHold } from '../../src/emulator/api/hold.js';
import { startCli } from '../helpers/cli.js';
import { harness, mirrorDiff, type Harness } from '../helpers/harness.js';
import { HELD_ENV } from '../helpers/mid-run.js';
import { waitFor } from '../helpers/reliability.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const ISSUES = 1000;
/** The CLI's batch size and the pending-batch bound, as the README states them. */
const BATCH = 100;
const PENDING = 4;
const CONCURRENCY = 8;

describe('backpressure from the writer', () => {
  it(
    'stops fetching while four batches wait for the database, and finishes once they can be written',
    { timeout: 90_000 },
    async () => {
      h = await harness(
        { issues: ISSUES, seed: 12 },
        { SPEAKUP_PAGE_SIZE: '500', SPEAKUP_CONCURRENCY: String(CONCURRENCY), ...HELD_ENV },
      );
      // A first run stores every issue; every one changes, so the second refetches all and sights them per page.
      expect((await h.sync()).status).toBe('succeeded');
      for (const id of h.emu.data.ids()) h.emu.data.update(id);
      h.emu.counters.reset();
      const hold = createHold(['detail']);
      h.emu.knobs.hold = hold;
      const sync = startCli(['sync'], h.env, h.dir);
      const reader = () => new Database(h!.dbPath, { readonly: true, fileMustExist: true });
      const listed = () => {
        try {
          const db = reader();
          try {
            return (
              db
                .prepare(
                  'SELECT count(*) AS n FROM issue_sightings WHERE last_listed_run = (SELECT max(id) FROM sync_runs)',
                )
                .get() as { n: number }
            ).n;
          } finally {
            db.close();
          }
        } catch {
          return 0;
        }
      };
      await waitFor(
        () => listed() === ISSUES && hold.waiting > 0,
        'the whole listing recorded, details waiting',
        60_000,
        50,
      ).catch((err: Error) => {
        throw new Error(
          `${err.message}: listed ${listed()}, list requests ${h!.emu.counters.requests.list}, waiting ${hold.waiting}`,
        );
      });

      const blocker = new Database(h.dbPath);
      blocker.pragma('busy_timeout = 30000');
      blocker.exec('BEGIN IMMEDIATE');
      let plateau: number;
      try {
        hold.release();
        // Requests until they stop coming: the count is what is asserted, the polling only finds the plateau.
        let last = -1;
        let still = 0;
        const deadline = Date.now() + 6_000;
        while (still < 10 && Date.now() < deadline) {
          const now = h.emu.counters.requests.detail;
          still = now === last ? still + 1 : 0;
          last = now;
          await new Promise((r) => setTimeout(r, 100));
        }
        plateau = h.emu.counters.requests.detail;
        expect(blocker.inTransaction).toBe(true);
      } finally {
        blocker.exec('ROLLBACK');
        blocker.close();
      }
      // At most the pending batches (a batch is written when full or after a short flush delay), the one
      // being filled and the requests in flight: far short of the list.
      expect(plateau).toBeGreaterThan(CONCURRENCY);
      expect(plateau).toBeLessThanOrEqual((PENDING + 2) * BATCH + CONCURRENCY);
      const r = await sync.result;
      expect(r.code, r.stderr.slice(-800)).toBe(0);
      expect(h.emu.counters.requests.detail).toBe(ISSUES);
      expect(mirrorDiff(h)).toEqual({ missing: [], extra: [], different: [] });
    },
  );
});
