import { describe, expect, it } from 'vitest';
import { listIssuePages, type ListEnd, type ListPage } from '../../src/api/paging.js';
import { BadResponseError } from '../../src/errors.js';

const item = (id: number) => ({
  id,
  updatedAt: '2025-01-01T00:00:00.000Z',
  createdAt: '2024-01-01T00:00:00.000Z',
  customId: `SUP-${id}`,
});
const opts = { pageSize: 2, pageParam: 'page', pageSizeParam: 'pageSize' };

/** Collect pages from a scripted server: `answer(page, size)` plays the API. */
async function collect(
  answer: (page: number, size: number) => unknown,
): Promise<{ pages: ListPage[]; end: ListEnd; asked: string[] }> {
  const asked: string[] = [];
  const gen = listIssuePages(async (rel) => {
    asked.push(rel);
    const q = new URLSearchParams(rel.split('?')[1]);
    return answer(Number(q.get('page')), Number(q.get('pageSize')));
  }, opts);
  const pages: ListPage[] = [];
  for (;;) {
    const n = await gen.next();
    if (n.done) return { pages, end: n.value, asked };
    pages.push(n.value);
  }
}

const all = [1, 2, 5, 9, 12].map(item);

describe('listIssuePages', () => {
  it('pages a bare array until an empty page, short pages included', async () => {
    // The server caps pages at 1 item although 2 are asked for: short pages are not the end.
    const r = await collect((page) => all.slice(page - 1, page));
    expect(r.pages.flatMap((p) => p.items.map((i) => i.id))).toEqual([1, 2, 5, 9, 12]);
    expect(r.end).toBe('empty-page');
    expect(r.asked[0]).toBe('v1/public/issues?page=1&pageSize=2');
  });

  it('stops on an envelope that says there is no more', async () => {
    const r = await collect((page, size) => ({
      data: all.slice((page - 1) * size, page * size),
      hasMore: page * size < all.length,
    }));
    expect(r.pages.map((p) => p.items.length)).toEqual([2, 2, 1]);
    expect(r.end).toBe('envelope-end');
  });

  it('understands items/next envelopes and totals', async () => {
    const r1 = await collect((page, size) => ({
      items: all.slice((page - 1) * size, page * size),
      next: page < 3 ? `?page=${page + 1}` : null,
    }));
    expect(r1.end).toBe('envelope-end');
    const r2 = await collect((page, size) => ({
      results: all.slice((page - 1) * size, page * size),
      total: all.length,
    }));
    expect(r2.end).toBe('total-reached');
    expect(r2.pages.flatMap((p) => p.items)).toHaveLength(5);
  });

  it('stops when a server ignoring paging repeats the whole list, more than a page: unpaged', async () => {
    const r = await collect(() => all);
    expect(r.pages).toHaveLength(1);
    expect(r.end).toBe('unpaged');
  });

  it('stops when a server ignoring the page parameter repeats a full page: repeated-page', async () => {
    const r = await collect((_page, size) => all.slice(0, size));
    expect(r.pages).toHaveLength(1);
    expect(r.end).toBe('repeated-page');
  });

  it('reports unusable items per item, keeping the usable ones', async () => {
    const r = await collect((page) =>
      page === 1 ? [item(1), { updatedAt: 'x' }, { id: '7', updatedAt: '2025-01-01T00:00:00Z' }, { id: 8 }, null] : [],
    );
    const p = r.pages[0]!;
    expect(p.items.map((i) => i.id)).toEqual([1]);
    expect(p.invalid.map((i) => [i.id, i.reason])).toEqual([
      [undefined, 'list item has no id'],
      [undefined, 'list item has an unusable id "7" (expected a positive integer)'],
      [8, 'issue 8: list item has no usable updatedAt (undefined)'],
      [undefined, 'list item is null, not an object'],
    ]);
  });

  it('fails clearly on a body that is neither an array nor an envelope', async () => {
    await expect(collect(() => ({ message: 'hello' }))).rejects.toThrow(BadResponseError);
    await expect(collect(() => ({ message: 'hello' }))).rejects.toThrow(
      /expected a JSON array of issues or an envelope/,
    );
  });

  it('gives up on a list that never ends, naming the paging parameters to check', async () => {
    // A server that ignores the page parameter's meaning: every page is full and new, forever.
    let served = 0;
    const endless = listIssuePages(async () => [item(++served), item(++served)], { ...opts, maxPages: 5 });
    const ids: number[] = [];
    await expect(async () => {
      for await (const page of endless) ids.push(...page.items.map((i) => i.id));
    }).rejects.toThrow(
      new BadResponseError(
        'the issue list did not end after 5 pages; check SPEAKUP_PAGE_PARAM / SPEAKUP_PAGE_SIZE_PARAM',
      ),
    );
    expect(ids).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
