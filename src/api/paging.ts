/**
 * Pages through `GET /v1/public/issues` whatever the server's scheme, since the public documentation does
 * not fix one: a bare array or an envelope (`data`/`items`/`issues`/`results`). The list ends on an empty
 * page, an envelope that says there is no more, or a page that repeats the previous one (a server that
 * ignores paging parameters). A short page is NOT the end: servers cap page sizes below what a client
 * asks. But a page shorter than a later one lost items in that answer (a server whose page shrank between
 * calls): it is read once more, and still short, reported as a hole.
 */
import { setImmediate as nextLoopTurn } from 'node:timers/promises';
import { BadResponseError } from '../errors.js';
import type { InvalidItem, ListEnd, ListPage } from '../sync/ports.js';
import { toIsoUtc } from '../timestamps.js';
import { quoteValue } from './quote.js';
import type { IssueSummary } from './types.js';

export interface PagingOptions {
  pageSize: number;
  pageParam: string;
  pageSizeParam: string;
  /** Guard against a server that never ends. */
  maxPages?: number;
}

// The page shapes are the sync core's port (ListPage, InvalidItem, ListEnd), defined once there.
export type { InvalidItem, ListEnd, ListPage } from '../sync/ports.js';

const ENVELOPE_KEYS = ['data', 'items', 'issues', 'results'] as const;

/** Yields each page's valid items and problems; returns how the list ended. */
export async function* listIssuePages(
  getJson: (relative: string, signal?: AbortSignal) => Promise<unknown>,
  opts: PagingOptions,
  signal?: AbortSignal,
): AsyncGenerator<ListPage, ListEnd> {
  let previousIds: number[] | undefined;
  let seen = 0;
  const maxPages = opts.maxPages ?? 1_000_000;
  const relativeOf = (page: number) => {
    const query = new URLSearchParams({ [opts.pageParam]: String(page), [opts.pageSizeParam]: String(opts.pageSize) });
    return `v1/public/issues?${query.toString()}`;
  };
  // Pages not yet known to be short, by size (few distinct sizes: full pages and the odd short one).
  const bySize = new Map<number, number[]>();
  let largest = 0;
  let prefetched: Promise<unknown> | undefined;
  for (let page = 1; page <= maxPages; page++) {
    const relative = relativeOf(page);
    const body = await (prefetched ?? getJson(relative, signal));
    prefetched = undefined;
    const { rows, more, total } = unwrap(body, relative);
    if (rows.length === 0) return 'empty-page';
    const parsed = parseItems(rows, page);
    const ids = rows.map((r) => (r as { id?: unknown } | null)?.id as number);
    // More items than asked for: the server ignores paging and sent the whole list each time. Otherwise a
    // repeat is a server serving one page whatever the page asked (a misnamed page parameter).
    if (previousIds && sameIds(previousIds, ids)) return rows.length > opts.pageSize ? 'unpaged' : 'repeated-page';
    previousIds = ids;
    seen += rows.length;
    const last = more === false || (total !== undefined && seen >= total);
    // Ask for the next page while the caller works on this one (its database lookups overlap the request).
    if (!last && page < maxPages) {
      prefetched = getJson(relativeOf(page + 1), signal);
      prefetched.catch(() => undefined); // awaited next iteration; never an unhandled rejection meanwhile
      // Let the request reach the socket before the caller's synchronous work: Node writes it on a later
      // tick, which a caller running straight on from this yield would hold back (no overlap at all).
      await nextLoopTurn();
    }
    yield parsed;
    // An earlier page shorter than a later one was not the end: items went missing from that answer.
    largest = Math.max(largest, rows.length);
    const short: number[] = [];
    for (const [size, pages] of bySize) {
      if (size < rows.length) {
        bySize.delete(size);
        short.push(...pages);
      }
    }
    const same = bySize.get(rows.length);
    if (same) same.push(page);
    else bySize.set(rows.length, [page]);
    for (const shortPage of short) {
      const again = unwrap(await getJson(relativeOf(shortPage), signal), relativeOf(shortPage)).rows;
      const repaired = parseItems(again, shortPage);
      if (again.length < largest) {
        repaired.hole = `list page ${shortPage} held ${again.length} items where other pages held ${largest}, also when read again: the listing is incomplete, so no issue is marked deleted this run`;
      }
      // Items already seen are skipped by the caller; the ones that went missing are new to it.
      yield repaired;
    }
    if (last) return more === false ? 'envelope-end' : 'total-reached';
  }
  throw new BadResponseError(
    `the issue list did not end after ${maxPages} pages; check SPEAKUP_PAGE_PARAM / SPEAKUP_PAGE_SIZE_PARAM`,
  );
}

function unwrap(
  body: unknown,
  relative: string,
): { rows: unknown[]; more: boolean | undefined; total: number | undefined } {
  if (Array.isArray(body)) return { rows: body, more: undefined, total: undefined };
  if (body && typeof body === 'object') {
    const env = body as Record<string, unknown>;
    const key = ENVELOPE_KEYS.find((k) => Array.isArray(env[k]));
    if (key) {
      let more: boolean | undefined;
      if (typeof env.hasMore === 'boolean') more = env.hasMore;
      else if (typeof env.has_more === 'boolean') more = env.has_more;
      else if ('next' in env) more = env.next !== null && env.next !== undefined && env.next !== '';
      const total = typeof env.total === 'number' && Number.isFinite(env.total) ? env.total : undefined;
      return { rows: env[key] as unknown[], more, total };
    }
  }
  throw new BadResponseError(
    `[GET] "/${relative}": expected a JSON array of issues or an envelope with "data"/"items"/"issues"/"results", got ${describe(body)}`,
  );
}

/** Validates list entries: a positive integer id and a parseable updatedAt. */
export function parseItems(rows: unknown[], page: number): ListPage {
  const items: IssueSummary[] = [];
  const invalid: InvalidItem[] = [];
  rows.forEach((row, index) => {
    if (!row || typeof row !== 'object' || Array.isArray(row)) {
      invalid.push({ page, index, id: undefined, reason: `list item is ${describe(row)}, not an object` });
      return;
    }
    const r = row as Record<string, unknown>;
    if (typeof r.id !== 'number' || !Number.isSafeInteger(r.id) || r.id <= 0) {
      invalid.push({
        page,
        index,
        id: undefined,
        reason: `list item has ${r.id === undefined ? 'no id' : `an unusable id ${quoteValue(r.id)} (expected a positive integer)`}`,
      });
      return;
    }
    // The detail's own check (the mapper's): a value one accepts and the other refuses would be fetched,
    // and fail, on every run.
    const updatedAt = toIsoUtc(r.updatedAt);
    if (updatedAt === null) {
      invalid.push({
        page,
        index,
        id: r.id,
        reason: `issue ${r.id}: list item has no usable updatedAt (${quoteValue(r.updatedAt)})`,
      });
      return;
    }
    const item: IssueSummary = { id: r.id, updatedAt };
    if (typeof r.createdAt === 'string') item.createdAt = r.createdAt;
    if (typeof r.customId === 'string') item.customId = r.customId;
    items.push(item);
  });
  return { page, items, invalid };
}

function sameIds(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object'
    ? `an object with keys ${Object.keys(v).slice(0, 5).join(', ') || '(none)'}`
    : `a ${typeof v}`;
}
