/** Terminal progress for a one-off sync: one rewritten line on stderr with counts, rate and ETA. */
import { formatElapsed } from '../format.js';
import type { SyncProgress, SyncResult } from '../sync/types.js';

/** A progress callback that redraws one line on `stream` (a TTY), and `done()` to clear it. */
export function terminalProgress(stream: NodeJS.WriteStream): { update: (p: SyncProgress) => void; done: () => void } {
  let drawn = false;
  return {
    update(p) {
      const c = p.counts;
      const secs = p.elapsedMs / 1000;
      const rate = secs > 0 ? c.fetched / secs : 0;
      const eta = rate > 0 && p.listingDone ? `, ETA ${formatElapsed((p.pending / rate) * 1000)}` : '';
      const line = `listed ${c.listed}${p.listingDone ? '' : '…'} · fetched ${c.fetched} · pending ${p.pending} · unchanged ${c.unchanged} · failed ${c.failed} · ${rate.toFixed(0)}/s${eta}`;
      stream.write(`\r\x1b[2K${line}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}

/** The one-line summary printed at the end of a run. */
export function summaryLine(r: SyncResult): string {
  const c = r.counts;
  return `sync ${r.status} (run ${r.runId}): ${c.listed} listed, ${c.fetched} fetched, ${c.unchanged} unchanged, ${c.deleted} deleted, ${c.failed} failed; ${c.requests} requests, ${c.throttled} throttled, in ${formatElapsed(r.durationMs)}${unconfirmedNote(c.unconfirmed)}`;
}

/** Deletions the source did not confirm, at the end of the summary (scripts parse its start). */
function unconfirmedNote(n: number | undefined): string {
  return n ? `; ${n} missing from the listing kept (unconfirmed)` : '';
}
