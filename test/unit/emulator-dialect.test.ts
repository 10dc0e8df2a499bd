import { describe, expect, it } from 'vitest';
import type { IssueDetail } from '../../src/api/types.js';
import { createDataset } from '../../src/emulator/api/dataset.js';
import { createApiKnobs } from '../../src/emulator/api/knobs.js';
import { parsePageWindow } from '../../src/emulator/api/paging.js';

const body = (buf: Buffer | undefined): Record<string, unknown> =>
  JSON.parse(buf?.toString() ?? 'null') as Record<string, unknown>;

describe('emulator dialect: renamed detail object', () => {
  const data = createDataset({ seed: 3, count: 120 });

  it('serves the same data renamed and nested, workflow dates as epoch ms, without issueType', () => {
    let withForms = 0;
    for (const id of data.ids()) {
      const d = data.get(id) as IssueDetail;
      const r = body(data.detailBody(id, 'renamed'));
      // Public fields keep their names and values.
      for (const key of ['id', 'customId', 'createdAt', 'updatedAt', 'summary', 'description'] as const)
        expect(r[key]).toEqual(d[key]);
      for (const key of [
        'status',
        'issueType',
        'channel',
        'domain',
        'assignee',
        'labels',
        'receivedAt',
        'dueAt',
        'forms',
      ])
        expect(r).not.toHaveProperty(key);
      expect(r.state).toBe(d.status);
      expect(r.source).toEqual({ channel: d.channel });
      expect(r.category).toEqual({ id: d.domain?.id, title: d.domain?.name });
      expect(r.assignedTo).toEqual(
        d.assignee == null ? null : { id: d.assignee.id, name: d.assignee.name, contact: { email: d.assignee.email } },
      );
      expect(r.tags).toEqual(d.labels);
      const ms = (v: string | null | undefined) => (v == null ? null : Date.parse(v));
      expect(r.dates).toEqual({
        received: ms(d.receivedAt),
        acknowledged: ms(d.acknowledgedAt),
        due: ms(d.dueAt),
        closed: ms(d.closedAt),
      });
      const q = r.questionnaires as {
        key: unknown;
        title: unknown;
        answers: { key: unknown; question: unknown; kind: unknown; answer: unknown }[];
      }[];
      expect(q.map((f) => f.key)).toEqual(d.forms?.map((f) => f.id));
      expect(q.flatMap((f) => f.answers.map((a) => [a.key, a.question, a.kind, a.answer]))).toEqual(
        d.forms?.flatMap((f) => f.fields.map((x) => [x.id, x.label, x.type, x.value])),
      );
      if (q.length > 0) withForms++;
    }
    expect(withForms).toBeGreaterThan(10);
  });

  it('keeps the default body unchanged, and follows mutations in either dialect', () => {
    const id = data.ids()[5]!;
    expect(body(data.detailBody(id))).toEqual(data.get(id));
    data.update(id, { status: 'ON_HOLD', extraField: 'kept' });
    expect(body(data.detailBody(id, 'renamed'))).toMatchObject({ state: 'ON_HOLD', extraField: 'kept' });
    expect(body(data.detailBody(id))).toMatchObject({ status: 'ON_HOLD', extraField: 'kept' });
  });
});

describe('emulator dialect: newest-first list', () => {
  it('orders by updatedAt, newest first, and moves an updated issue to the front', () => {
    const data = createDataset({ seed: 4, count: 60 });
    const items = data.listSlice(0, null, 1, 0, 'newest-first').items as { id: number; updatedAt: string }[];
    expect(items).toHaveLength(60);
    expect(items.every((it, i) => i === 0 || it.updatedAt <= items[i - 1]!.updatedAt)).toBe(true);
    expect(items.map((i) => i.id)).not.toEqual(data.ids());
    const oldest = items[items.length - 1]!.id;
    data.update(oldest);
    expect((data.listSlice(0, 2, 1, 2, 'newest-first').items[0] as { id: number }).id).toBe(oldest);
    // The default order is untouched.
    expect(data.listSlice(0, null, 1, 0).items.map((i) => (i as { id: number }).id)).toEqual(data.ids());
  });
});

describe('emulator dialect: ignored page parameter', () => {
  it('serves the first page whatever page is asked for, still honouring the page size', () => {
    const k = createApiKnobs({ ignorePageParam: true });
    expect(parsePageWindow(new URLSearchParams({ page: '3', pageSize: '5' }), k)).toEqual({
      page: 1,
      pageSize: 5,
      offset: 0,
      limit: 5,
    });
    expect(parsePageWindow(new URLSearchParams({ page: '3', pageSize: '5' }), createApiKnobs())).toMatchObject({
      page: 3,
      offset: 10,
    });
  });

  it('refuses unknown dialect knobs', () => {
    expect(() => createApiKnobs({ detailDialect: 'v9' as never, listOrder: 'random' as never })).toThrow(
      'invalid emulator knobs: detailDialect: expected default | renamed (got "v9"); listOrder: expected id | newest-first (got "random")',
    );
  });
});
