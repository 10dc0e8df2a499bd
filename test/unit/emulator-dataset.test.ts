import { describe, expect, it } from 'vitest';
import { FIELD_TYPES } from '../../src/api/types.js';
import type { IssueDetail } from '../../src/api/types.js';
import { createDataset } from '../../src/emulator/api/dataset.js';

const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function allDetails(seed = 1, count = 250): IssueDetail[] {
  const data = createDataset({ seed, count });
  return data.ids().map((id) => data.get(id) as IssueDetail);
}

describe('emulator data set: determinism and shape', () => {
  it('gives the same data for the same seed and different data for another seed', () => {
    const a = createDataset({ seed: 7, count: 300 });
    const b = createDataset({ seed: 7, count: 300 });
    const c = createDataset({ seed: 8, count: 300 });
    expect(b.list()).toEqual(a.list());
    expect(b.ids().map((id) => b.detailBody(id)?.toString())).toEqual(
      a.ids().map((id) => a.detailBody(id)?.toString()),
    );
    expect(c.ids()).not.toEqual(a.ids());
  });

  it('has ascending, non-contiguous integer ids and list items {id, createdAt, updatedAt, customId}', () => {
    const data = createDataset({ seed: 1, count: 250 });
    const ids = data.ids();
    expect(ids).toHaveLength(250);
    expect(ids.every((id, i) => Number.isInteger(id) && (i === 0 || id > (ids[i - 1] as number)))).toBe(true);
    expect(ids.some((id, i) => i > 0 && id - (ids[i - 1] as number) > 1)).toBe(true);
    for (const item of data.list()) {
      expect(Object.keys(item)).toEqual(['id', 'createdAt', 'updatedAt', 'customId']);
      expect(item.createdAt).toMatch(ISO_Z);
      expect(item.updatedAt).toMatch(ISO_Z);
      expect(item.customId).toMatch(/^SUP-\d{4}-\d{5}$/);
      expect(data.get(item.id)).toMatchObject(item);
    }
  });

  it('keeps the timestamps of every issue in a consistent order', () => {
    for (const d of allDetails()) {
      const t = (s: string | null | undefined): number => (s == null ? Number.NaN : Date.parse(s));
      for (const key of ['createdAt', 'updatedAt', 'receivedAt', 'dueAt'] as const) expect(d[key]).toMatch(ISO_Z);
      expect(t(d.receivedAt)).toBeLessThanOrEqual(t(d.createdAt));
      expect(t(d.createdAt)).toBeLessThanOrEqual(t(d.updatedAt));
      if (d.acknowledgedAt !== null) expect(t(d.acknowledgedAt)).toBeGreaterThanOrEqual(t(d.createdAt));
      if (d.closedAt !== null) {
        expect(d.status).toBe('CLOSED');
        expect(t(d.closedAt)).toBeGreaterThanOrEqual(t(d.acknowledgedAt));
        expect(t(d.closedAt)).toBeLessThanOrEqual(t(d.updatedAt));
      }
      expect(t(d.dueAt)).toBeGreaterThan(t(d.receivedAt));
    }
  });

  it('covers every field type, null values, enums, unicode and long text', () => {
    const details = allDetails();
    const fields = details.flatMap((d) => (d.forms ?? []).flatMap((f) => f.fields));
    for (const type of FIELD_TYPES) expect(fields.some((f) => f.type === type && f.value !== null)).toBe(true);
    expect(fields.some((f) => f.value === null)).toBe(true);
    const typed = fields.filter((f) => f.value !== null);
    expect(typed.filter((f) => f.type === 'multiselect').every((f) => Array.isArray(f.value))).toBe(true);
    expect(typed.filter((f) => f.type === 'number').every((f) => typeof f.value === 'number')).toBe(true);
    expect(typed.filter((f) => f.type === 'boolean').every((f) => typeof f.value === 'boolean')).toBe(true);
    expect(typed.filter((f) => f.type === 'date').every((f) => /^\d{4}-\d{2}-\d{2}$/.test(String(f.value)))).toBe(true);
    expect(new Set(details.map((d) => (d.forms ?? []).length))).toEqual(new Set([0, 1, 2]));

    expect(new Set(details.map((d) => d.status))).toEqual(new Set(['NEW', 'IN_PROGRESS', 'ON_HOLD', 'CLOSED']));
    expect(new Set(details.map((d) => d.issueType))).toEqual(new Set(['Case', 'Task']));
    expect(new Set(details.map((d) => d.channel))).toEqual(new Set(['WEB', 'PHONE', 'APP', 'EMAIL', 'IN_PERSON']));
    expect(new Set(details.map((d) => d.domain?.id)).size).toBeGreaterThanOrEqual(4);
    expect(details.some((d) => d.assignee === null)).toBe(true);
    expect(details.some((d) => d.acknowledgedAt === null)).toBe(true);
    expect(new Set(details.map((d) => d.labels?.length))).toEqual(new Set([0, 1, 2, 3]));

    const texts = details.map((d) => `${d.summary} ${d.description ?? ''}`).join('\n');
    expect(texts).toMatch(/[\u4e00-\u9fff]/); // CJK
    expect(texts).toMatch(/[\u0590-\u06ff]/); // Hebrew / Arabic (RTL)
    expect(texts).toMatch(/\p{Extended_Pictographic}/u);
    expect(texts).toMatch(/[éüçł]/);
    expect(details.some((d) => d.description === null)).toBe(true);
    expect(Math.max(...details.map((d) => Buffer.byteLength(d.description ?? '')))).toBeGreaterThan(2048);
  });

  it('builds 0 and 100,000 issues', () => {
    expect(createDataset({ count: 0 }).list()).toEqual([]);
    const big = createDataset({ seed: 1, count: 100_000 });
    expect(big.size()).toBe(100_000);
    expect(big.listSlice(0, 500, 1, 500).items).toHaveLength(500);
    const last = big.ids().at(-1) as number;
    expect(big.get(last)?.customId).toBe(`SUP-2025-100000`);
  });
});

describe('emulator data set: mutation API', () => {
  it('update() bumps version and updatedAt and moves the workflow on', () => {
    const data = createDataset({ seed: 3, count: 20 });
    const id = data.ids()[4] as number;
    const before = data.get(id) as IssueDetail;
    const body = data.detailBody(id)?.toString();
    const after = data.update(id);
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(
      Math.max(
        ...data
          .list()
          .filter((i) => i.id !== id)
          .map((i) => Date.parse(i.updatedAt)),
      ),
    );
    expect(after.status).not.toBe(before.status);
    expect(data.list().find((i) => i.id === id)?.updatedAt).toBe(after.updatedAt);
    expect(data.detailBody(id)?.toString()).not.toBe(body);
    const again = data.update(id);
    expect(Date.parse(again.updatedAt)).toBeGreaterThan(Date.parse(after.updatedAt));
  });

  it('update(id, patch) applies the patch, and may pin updatedAt (content changed, timestamp not)', () => {
    const data = createDataset({ seed: 3, count: 20 });
    const id = data.ids()[0] as number;
    const old = data.get(id) as IssueDetail;
    expect(data.update(id, { summary: 'Changed', assignee: null }).summary).toBe('Changed');
    expect(data.get(id)?.assignee).toBeNull();
    const pinned = data.update(id, { summary: 'Silent change', updatedAt: old.updatedAt });
    expect(pinned.updatedAt).toBe(old.updatedAt);
    expect(pinned.summary).toBe('Silent change');
  });

  it('remove() and add() change the list; added ids come after the existing ones', () => {
    const data = createDataset({ seed: 3, count: 20 });
    const max = data.ids().at(-1) as number;
    const gone = data.ids()[2] as number;
    expect(data.remove(gone)).toBe(true);
    expect(data.remove(gone)).toBe(false);
    expect(data.get(gone)).toBeUndefined();
    expect(data.detailBody(gone)).toBeUndefined();
    const added = data.add(3);
    expect(added).toHaveLength(3);
    expect(added[0]).toBeGreaterThan(max);
    expect(data.ids().slice(-3)).toEqual(added);
    expect(data.size()).toBe(22);
    const [custom] = data.add({ id: max + 1_000, summary: 'Hand-made', extraField: { nested: true } });
    expect(data.get(custom as number)).toMatchObject({
      id: max + 1_000,
      summary: 'Hand-made',
      extraField: { nested: true },
    });
    expect(() => data.add({ id: max + 1_000 })).toThrow(/already exists/);
  });

  it('serves detail and list overrides for hostile-input tests', () => {
    const data = createDataset({ seed: 3, count: 20 });
    const [a, b] = data.ids() as [number, number];
    data.setDetailOverride(a, { id: String(a), summary: 42 });
    expect(JSON.parse(data.detailBody(a)?.toString() ?? '')).toEqual({ id: String(a), summary: 42 });
    data.setDetailOverride(b, '{"id": 1,');
    expect(data.detailBody(b)?.toString()).toBe('{"id": 1,');
    data.setDetailOverride(b, undefined);
    expect(data.detailBody(b)?.length).toBe(0);
    data.clearDetailOverride(b);
    expect(JSON.parse(data.detailBody(b)?.toString() ?? '').id).toBe(b);

    data.setListOverride([{ createdAt: 'x' }, { id: 'seven' }, { id: a }, { id: a }]);
    expect(data.listSlice(2, 2, 2, 2)).toEqual({ items: [{ id: a }, { id: a }], total: 4 });
    data.setListOverride(({ items, call }) => (call === 1 ? items.slice(1) : items));
    expect(data.listSlice(0, 5, 1, 5).items).toHaveLength(4);
    expect(data.listSlice(0, 5, 1, 5).items).toHaveLength(5);
    data.setListOverride(null);
    expect(data.listSlice(0, null, 1, 0).items).toEqual(data.list());
  });
});
