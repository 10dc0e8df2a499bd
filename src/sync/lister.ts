/**
 * The listing: pages of the issue list in, ids to fetch out. Each page is recorded as seen by this run
 * (one store call per page), and an issue goes to the fetch queue when it is new, changed since the
 * stored copy, or when the run refetches everything. Unusable entries are failures of the run; one
 * without an id, or a page with a hole, makes the listing unclean (it cannot justify deletions).
 */
import { BadResponseError } from '../errors.js';
import type { ListingVerdict } from './decisions.js';
import { IdSet } from './id-set.js';
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

/** What a listing that cannot justify deletions says about it (once, in the run's log). */
export const PAGING_WARNING =
  'the issue list repeated or overlapped its pages, so it may have skipped issues: no issue is marked deleted this run; check SPEAKUP_PAGE_PARAM / SPEAKUP_PAGE_SIZE_PARAM';

/** Lists to the end; returns the verdict, throws when the listing fails (the source's error). */
export async function listIssues(o: ListerOptions): Promise<ListingVerdict> {
  // Every id listed so far (typed arrays: a million ids must not weigh on the heap). An id on two pages
  // means the pages moved under the listing (an insert shifts items forward, so a deletion may have
  // shifted one past us unseen).
  const seen = new IdSet();
  const state = { clean: true, overlap: false, lastPage: 0 };
  const pages = o.source.listPages(o.signal);
  for (;;) {
    const next = await pages.next();
    if (next.done) {
      const repeated = next.value === 'repeated-page';
      const warning = repeated || state.overlap ? PAGING_WARNING : undefined;
      return { complete: true, clean: state.clean && !warning, end: next.value, ...(warning ? { warning } : {}) };
    }
    if (!(await takePage(next.value, seen, state, o))) state.clean = false;
  }
}

/** Records and queues one page; false when the page makes the listing unclean. */
async function takePage(
  page: ListPage,
  seen: IdSet,
  state: { overlap: boolean; lastPage: number },
  o: ListerOptions,
): Promise<boolean> {
  let clean = true;
  if (page.hole !== undefined) {
    clean = false;
    o.tally.fail(undefined, new BadResponseError(page.hole));
  }
  // A page read again (to repair a short one) repeats ids by design; only a new page can overlap. Page
  // numbers of new pages only grow, so an id seen before a new page began was listed on another page;
  // one this page added already is a duplicate within the page (listed and fetched once).
  const fresh = page.page > state.lastPage;
  state.lastPage = Math.max(state.lastPage, page.page);
  const mine = new Set<number>();
  /** True for an id new to the listing; an item (not an unusable entry) seen on another page is an overlap. */
  const take = (id: number, item: boolean): boolean => {
    if (seen.add(id)) {
      mine.add(id);
      return true;
    }
    if (item && fresh && !mine.has(id)) state.overlap = true;
    return false;
  };
  const badIds: number[] = [];
  for (const bad of page.invalid) {
    if (bad.id === undefined) clean = false;
    else if (take(bad.id, false)) badIds.push(bad.id);
    o.tally.fail(bad.id, new BadResponseError(`list page ${bad.page}, item ${bad.index}: ${bad.reason}`));
  }
  const news = page.items.filter((it) => take(it.id, true));
  const ids = news.map((it) => it.id);
  const versions = await o.store.recordListing(
    badIds.length === 0 ? ids : [...ids, ...badIds],
    o.runId,
    o.clock().toISOString(),
  );
  const counts = o.tally.counts;
  for (const it of news) {
    const stored = versions.get(it.id);
    if (o.full || stored === undefined || stored !== toIsoUtc(it.updatedAt)) o.enqueue(it.id);
    else counts.unchanged++;
  }
  counts.listed += news.length + badIds.length;
  o.pageDone();
  return clean;
}
