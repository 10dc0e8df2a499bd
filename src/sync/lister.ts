/**
 * The listing: pages of the issue list in, ids to fetch out. Each page is recorded as seen by this run
 * (one store call per page), and an issue goes to the fetch queue when it is new, changed since the
 * stored copy, or when the run refetches everything. Unusable entries are failures of the run; one
 * without an id, or a page with a hole, makes the listing unclean (it cannot justify deletions).
 */
import { BadResponseError } from '../errors.js';
import type { ListingVerdict } from './decisions.js';
import type { Clock, IssuesSource, ListPage, MirrorStore } from './ports.js';
import type { Tally } from './tally.js';
import { toIsoUtc } from '../timestamps.js';

export interface ListerOptions {
  source: Pick<IssuesSource, 'listPages'>;
  store: Pick<MirrorStore, 'recordListing'>;
  runId: number;
  /** Fetch every listed issue, changed or not. */
  full: boolean;
  signal: AbortSignal;
  clock: Clock;
  tally: Pick<Tally, 'counts' | 'fail'>;
  /** Queues an id for a detail fetch. */
  enqueue(id: number): void;
  /** A page's ids are queued. */
  pageDone(): void;
}

/** Lists to the end; returns the verdict, throws when the listing fails (the source's error). */
export async function listIssues(o: ListerOptions): Promise<ListingVerdict> {
  // Servers that shift items between pages repeat some: each id counts once.
  const seen = new Set<number>();
  let clean = true;
  const pages = o.source.listPages(o.signal);
  for (;;) {
    const next = await pages.next();
    if (next.done) return { complete: true, clean, end: next.value };
    if (!(await takePage(next.value, seen, o))) clean = false;
  }
}

/** Records and queues one page; false when the page makes the listing unclean. */
async function takePage(page: ListPage, seen: Set<number>, o: ListerOptions): Promise<boolean> {
  let clean = true;
  if (page.hole !== undefined) {
    clean = false;
    o.tally.fail(undefined, new BadResponseError(page.hole));
  }
  const badIds: number[] = [];
  for (const bad of page.invalid) {
    if (bad.id === undefined) clean = false;
    else {
      seen.add(bad.id);
      badIds.push(bad.id);
    }
    o.tally.fail(bad.id, new BadResponseError(`list page ${bad.page}, item ${bad.index}: ${bad.reason}`));
  }
  const fresh = page.items.filter((it) => !seen.has(it.id));
  const ids = fresh.map((it) => it.id);
  for (const id of ids) seen.add(id);
  const versions = await o.store.recordListing(
    badIds.length === 0 ? ids : [...ids, ...badIds],
    o.runId,
    o.clock().toISOString(),
  );
  const counts = o.tally.counts;
  for (const it of fresh) {
    const stored = versions.get(it.id);
    if (o.full || stored === undefined || stored !== toIsoUtc(it.updatedAt)) o.enqueue(it.id);
    else counts.unchanged++;
  }
  counts.listed += fresh.length + badIds.length;
  o.pageDone();
  return clean;
}
