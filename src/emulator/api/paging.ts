/**
 * The list endpoint's paging schemes. SpeakUp does not publish its own: `page` is the assumed
 * default, `envelope` and `unpaged` are the other shapes a client must survive.
 */
import type { ApiKnobs } from './knobs.js';

/** Which slice of the list a request asks for, after the server cap. */
export interface PageWindow {
  page: number;
  pageSize: number;
  offset: number;
  /** null = the whole list (unpaged). */
  limit: number | null;
}

/** Reads the paging parameters; an error message when one is not a positive integer. */
export function parsePageWindow(query: URLSearchParams, k: ApiKnobs): PageWindow | { error: string } {
  if (k.paging === 'unpaged') return { page: 1, pageSize: 0, offset: 0, limit: null };
  // A server that ignores the page parameter (or calls it something else) serves page 1 every time.
  const page = k.ignorePageParam ? 1 : positiveInt(query.get(k.pageParam), 1);
  const asked = positiveInt(query.get(k.pageSizeParam), k.defaultPageSize);
  if (page === null) return { error: `Invalid query parameter "${k.pageParam}": expected an integer >= 1` };
  if (asked === null) return { error: `Invalid query parameter "${k.pageSizeParam}": expected an integer >= 1` };
  // Servers cap page sizes silently: the client asked for `asked`, it gets at most pageSizeMax.
  const pageSize = Math.min(asked, k.pageSizeMax);
  return { page, pageSize, offset: (page - 1) * pageSize, limit: pageSize };
}

/** The JSON body of a list answer in the knobs' paging mode. */
export function listBody(k: ApiKnobs, w: PageWindow, items: unknown[], total: number): string {
  if (k.paging !== 'envelope') return JSON.stringify(items);
  const hasMore = w.offset + w.pageSize < total;
  return JSON.stringify({ data: items, page: w.page, pageSize: w.pageSize, total, hasMore });
}

function positiveInt(raw: string | null, fallback: number): number | null {
  if (raw === null || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw)) return null;
  const n = Number(raw);
  return n >= 1 ? n : null;
}
