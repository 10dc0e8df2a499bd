/**
 * What the server sends cannot hurt the run: list values quoted short and without control characters,
 * a deeply nested or huge id is one item's failure, and the listing accepts exactly the timestamps the
 * detail's mapper accepts.
 */
import { describe, expect, it } from 'vitest';
import { parseItems } from '../../src/api/paging.js';
import { quoteValue } from '../../src/api/quote.js';
import { toIsoUtc } from '../../src/timestamps.js';

const T = '2025-01-01T00:00:00.000Z';

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe('list items from a hostile server', () => {
  it('a deeply nested id is one invalid item, described without walking it', () => {
    const page = parseItems(
      [
        { id: nested(200_000), updatedAt: T },
        { id: 2, updatedAt: T },
      ],
      1,
    );
    expect(page.items.map((i) => i.id)).toEqual([2]);
    expect(page.invalid).toEqual([
      {
        page: 1,
        index: 0,
        id: undefined,
        reason: 'list item has an unusable id an array of 1 (expected a positive integer)',
      },
    ]);
  });

  it('a huge id and control characters are cut short and made printable in the reason', () => {
    const page = parseItems(
      [
        { id: `7\u001b[31m${'x'.repeat(1_000_000)}`, updatedAt: T },
        { id: 3, updatedAt: 'bad\n{"forged":"log line"}' },
      ],
      1,
    );
    expect(page.items).toEqual([]);
    for (const bad of page.invalid) {
      expect(bad.reason.length).toBeLessThan(200);
      // eslint-disable-next-line no-control-regex
      expect(bad.reason).not.toMatch(/[\u0000-\u001f\u007f]/);
    }
    expect(page.invalid[0]!.reason).toContain('(1000006 chars)');
    expect(page.invalid[1]).toMatchObject({ id: 3, reason: expect.stringContaining('"bad?{\\"forged\\"') });
  });

  it('quotes strings, numbers and containers briefly', () => {
    expect(quoteValue('abc')).toBe('"abc"');
    expect(quoteValue(12.5)).toBe('12.5');
    expect(quoteValue({ a: 1 })).toBe('an object');
    expect(quoteValue('\u2028')).toBe('"?"');
  });
});

describe('one timestamp validator for the listing and the detail', () => {
  const values = [
    T,
    '2025-01-01T00:00:00Z',
    '2025-01-01 10:00',
    '2025-01-01T10:00:00+02:00',
    '2025-01-01',
    'June 1, 2024',
    '2025-02-30T00:00:00Z',
    'Tue, 01 Jul 2025 10:00:00 GMT',
    '1735689600',
    '',
  ];

  it.each(values)('the listing accepts %j exactly when the detail mapper does, normalised the same way', (v) => {
    const page = parseItems([{ id: 1, updatedAt: v }], 1);
    const detail = toIsoUtc(v);
    expect(page.items.length === 1).toBe(detail !== null);
    if (detail !== null) expect(page.items[0]!.updatedAt).toBe(detail);
  });
});
