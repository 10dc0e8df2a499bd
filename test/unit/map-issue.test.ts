import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BadResponseError } from '../../src/errors.js';
import { toIssueRecord } from '../../src/sync/map-issue.js';
import { toIsoUtc, toPlainDate } from '../../src/timestamps.js';

const SYNCED = '2025-08-01T12:00:00.000Z';
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;

/** The message of the BadResponseError `fn` throws (fails the test if it throws anything else). */
function badResponse(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BadResponseError);
    expect((err as BadResponseError).code).toBe('BAD_RESPONSE');
    const msg = (err as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('expected a BadResponseError');
}

describe('toIssueRecord: full detail', () => {
  const detail = fixture('detail-full');
  const rec = toIssueRecord(detail, SYNCED);

  it('maps every known scalar to its column', () => {
    expect(rec.issue).toEqual({
      id: 42,
      customId: 'SUP-2025-00042',
      createdAt: '2025-05-26T07:15:48.663Z',
      updatedAt: '2025-07-20T00:00:51.522Z',
      summary: 'Invoices changed before the audit',
      description:
        'A manager asked staff to change supplier invoices before the quarterly audit.\n\nSeveral colleagues saw it.',
      status: 'IN_PROGRESS',
      issueType: 'Case',
      channel: 'WEB',
      domainId: 3,
      domainName: 'Finance',
      assigneeId: '17',
      assigneeName: 'Dana Case',
      assigneeEmail: 'dana.case@example.com',
      labels: '["urgent","legal"]',
      receivedAt: '2025-05-26T07:15:48.663Z',
      acknowledgedAt: '2025-05-27T09:00:00.000Z',
      dueAt: '2025-08-24T07:15:48.663Z',
      closedAt: null,
      data: rec.issue.data,
      syncedAt: SYNCED,
    });
  });

  it('keeps the whole object, unknown fields included, in data', () => {
    expect(JSON.parse(rec.issue.data)).toEqual(detail);
    expect(JSON.parse(rec.issue.data)).toMatchObject({ priority: 'high', reporter: { anonymous: true } });
  });

  it('flattens the field values of all forms in order, each value as fits its type', () => {
    const rows = rec.fields.map((f) => [
      f.position,
      f.formId,
      f.fieldId,
      f.type,
      f.valueText,
      f.valueNumber,
      f.valueJson,
    ]);
    expect(rows).toEqual([
      [0, '101', '1001', 'text', 'Warehouse in Rotterdam', null, null],
      [1, '101', '1002', 'number', '3', 3, null],
      [2, '101', '1003', 'date', '2025-05-20', null, null],
      [3, '101', '1004', 'select', 'Fraud', null, null],
      [4, '101', '1005', 'multiselect', 'Finance, Logistics', null, '["Finance","Logistics"]'],
      [5, '101', '1006', 'boolean', 'false', 0, 'false'],
      [6, 'wbp-3', 'wbp-notes', 'text', 'Kontakt nur über das Portal', null, null],
      [7, 'wbp-3', 'wbp-contacts', 'number', '12.5', 12.5, null],
      [8, 'wbp-3', 'wbp-feedback', 'date', '2025-08-24T07:15:48.663Z', null, null],
      [9, 'wbp-3', 'wbp-consent', 'boolean', 'true', 1, 'true'],
      [10, 'wbp-3', 'wbp-risks', 'multiselect', null, null, null],
    ]);
    expect(rec.fields.every((f) => f.issueId === 42)).toBe(true);
    expect(rec.fields[6]).toMatchObject({ formName: 'Schutz der hinweisgebenden Person', label: 'Notizen' });
  });

  it('indexes summary, description and text-like field values, not numbers, dates or booleans', () => {
    expect(rec.fts.summary).toBe('Invoices changed before the audit');
    expect(rec.fts.description).toContain('quarterly audit');
    expect(rec.fts.fieldText?.split('\n')).toEqual([
      'Warehouse in Rotterdam',
      'Fraud',
      'Finance',
      'Logistics',
      'Kontakt nur über das Portal',
    ]);
  });
});

describe('toIssueRecord: tolerant of what is missing or odd', () => {
  it('maps a minimal detail with every optional column NULL', () => {
    const rec = toIssueRecord(fixture('detail-minimal'), SYNCED);
    const { id, updatedAt, data, syncedAt, ...rest } = rec.issue;
    expect({ id, updatedAt, syncedAt }).toEqual({ id: 7, updatedAt: '2025-01-02T03:04:05.678Z', syncedAt: SYNCED });
    expect(Object.values(rest).every((v) => v === null)).toBe(true);
    expect(JSON.parse(data)).toEqual(fixture('detail-minimal'));
    expect(rec.fields).toEqual([]);
    expect(rec.fts).toEqual({ summary: null, description: null, fieldText: null });
  });

  it('turns wrongly typed optional fields into NULL and never a partial date', () => {
    const detail = fixture('detail-odd-types');
    const rec = toIssueRecord(detail, SYNCED);
    expect(rec.issue).toMatchObject({
      customId: '123',
      createdAt: null,
      updatedAt: '2025-03-01T12:00:00.000Z',
      summary: null,
      description: null,
      status: null,
      issueType: null,
      channel: null,
      domainId: null,
      domainName: null,
      assigneeId: null,
      labels: null,
      receivedAt: null,
      acknowledgedAt: null,
      dueAt: null,
      closedAt: null,
    });
    expect(JSON.parse(rec.issue.data)).toEqual(detail);
  });

  it('skips entries that are not forms or fields, and keeps odd values readable', () => {
    const rec = toIssueRecord(fixture('detail-odd-types'), SYNCED);
    const byField = new Map(rec.fields.map((f) => [f.fieldId, f]));
    expect(rec.fields.map((f) => f.position)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(rec.fields.every((f) => f.formId === null && f.formName === null)).toBe(true);
    expect(byField.get('1')).toMatchObject({ valueText: ' 12.50 ', valueNumber: 12.5 });
    expect(byField.get('2')).toMatchObject({ valueText: 'twelve', valueNumber: null });
    // A date field's partial date is plain text in a TEXT column: safe, and not normalised.
    expect(byField.get('3')).toMatchObject({ valueText: '2024', valueNumber: null });
    expect(byField.get('4')).toMatchObject({ valueText: null, valueJson: '{"a":1}' });
    expect(byField.get('5')).toMatchObject({
      label: null,
      type: null,
      valueText: null,
      valueNumber: null,
      valueJson: null,
    });
    expect(byField.get('6')).toMatchObject({ valueText: null, valueJson: '["A",{"b":2}]' });
    expect(byField.get('7')).toMatchObject({ type: 'signature', valueText: 'J. Doe' });
    // A number field is not prose even when its value is not numeric.
    expect(rec.fts.fieldText?.split('\n')).toEqual(['A', 'J. Doe']);
  });

  it('normalises timestamps with offsets, no seconds, a space or extra digits to UTC with Z', () => {
    const rec = toIssueRecord(fixture('detail-offsets'), SYNCED);
    expect(rec.issue).toMatchObject({
      createdAt: '2025-05-26T07:15:48.663Z',
      updatedAt: '2025-07-20T01:00:51.522Z',
      receivedAt: '2025-05-26T07:15:48.000Z',
      acknowledgedAt: '2025-05-27T08:00:00.000Z',
      dueAt: '2025-08-24T07:15:48.000Z',
      closedAt: '2026-01-01T00:30:00.000Z',
    });
    expect(rec.fields.map((f) => f.valueText)).toEqual([
      '2025-05-20T00:00:00.000Z',
      '2025-05-20',
      '2025-02-30',
      'next week',
    ]);
  });

  it('keeps unicode intact in columns, JSON and search text', () => {
    const detail = fixture('detail-unicode');
    const rec = toIssueRecord(detail, SYNCED);
    expect(rec.issue).toMatchObject({
      customId: 'SUP-2025-Ω13',
      summary: 'Belästigung im Büro – Müller 👀',
      assigneeId: 'u-ß-1',
      assigneeName: 'Zoë Ångström',
      labels: '["Vertraulich","機密","🔒"]',
    });
    expect(rec.issue.description).toContain('上司が脅迫した。');
    expect(JSON.parse(rec.issue.data)).toEqual(detail);
    expect(rec.fts.fieldText).toBe('François et Ağca\nRepressalien\nIdentifizierung');
  });

  it('does not share state between calls (pure)', () => {
    const detail = fixture('detail-full');
    const copy = structuredClone(detail);
    expect(toIssueRecord(detail, SYNCED)).toEqual(toIssueRecord(detail, SYNCED));
    expect(detail).toEqual(copy);
  });
});

describe('toIssueRecord: refuses what identifies an issue badly', () => {
  const ok = fixture('detail-minimal');

  it('rejects a numeric string id, naming the id and the problem', () => {
    expect(badResponse(() => toIssueRecord({ ...ok, id: '42' }, SYNCED))).toBe(
      'issue detail: id must be a positive integer, got "42" (a string)',
    );
  });

  it.each([
    [0, '0 (a number)'],
    [-3, '-3 (a number)'],
    [1.5, '1.5 (a fraction)'],
    [null, 'null (null)'],
    [undefined, 'nothing (nothing)'],
    [2 ** 53, '9007199254740992 (a number)'],
    [[1], '[1] (an array)'],
  ])('rejects id %j', (id, shown) => {
    expect(badResponse(() => toIssueRecord({ ...ok, id }, SYNCED))).toContain(`got ${shown}`);
  });

  it('rejects a body that is not an object', () => {
    expect(badResponse(() => toIssueRecord([ok], SYNCED, 7))).toBe(
      'issue detail for issue 7: expected a JSON object, got an array',
    );
    expect(badResponse(() => toIssueRecord(null, SYNCED))).toBe('issue detail: expected a JSON object, got null');
    expect(badResponse(() => toIssueRecord('{"id":1}', SYNCED))).toContain('got a string');
  });

  it.each([undefined, null, '2024-05', '2024-05-01', 1_716_700_000_000, 'yesterday'])(
    'rejects updatedAt %j',
    (updatedAt) => {
      const msg = badResponse(() => toIssueRecord({ ...ok, updatedAt }, SYNCED));
      expect(msg).toMatch(/^issue 7: updatedAt must be a full ISO-8601 timestamp, got /);
    },
  );

  it('rejects a detail answered for another id than asked', () => {
    expect(badResponse(() => toIssueRecord(ok, SYNCED, 8))).toBe('issue 8: the detail returned has id 7');
    expect(toIssueRecord(ok, SYNCED, 7).issue.id).toBe(7);
  });

  it('shortens a huge offending value in the message', () => {
    const msg = badResponse(() => toIssueRecord({ ...ok, id: 'x'.repeat(10_000) }, SYNCED));
    expect(msg.length).toBeLessThan(150);
  });
});

describe('toIsoUtc', () => {
  it.each([
    ['2024-05-01T10:00:00.000Z', '2024-05-01T10:00:00.000Z'],
    ['2024-05-01T10:00:00Z', '2024-05-01T10:00:00.000Z'],
    ['2024-05-01t10:00:00z', '2024-05-01T10:00:00.000Z'],
    ['2024-05-01T10:00:00+02:00', '2024-05-01T08:00:00.000Z'],
    ['2024-05-01T00:30:00+01:00', '2024-04-30T23:30:00.000Z'],
    ['2024-02-29T00:00:00-05:30', '2024-02-29T05:30:00.000Z'],
    ['2024-05-01T10:00:00+0200', '2024-05-01T08:00:00.000Z'],
    ['2024-05-01T10:00:00+02', '2024-05-01T08:00:00.000Z'],
    ['2024-05-01 10:00:00.123456Z', '2024-05-01T10:00:00.123Z'],
    ['2024-05-01T10:00:00,5Z', '2024-05-01T10:00:00.500Z'],
    ['2024-05-01T10:00Z', '2024-05-01T10:00:00.000Z'],
    ['2024-05-01T10:00:00', '2024-05-01T10:00:00.000Z'],
    ['0050-01-01T00:00:00Z', '0050-01-01T00:00:00.000Z'],
  ])('%s -> %s', (input, expected) => {
    expect(toIsoUtc(input)).toBe(expected);
  });

  it.each([
    '2024',
    '2024-05',
    '2024-05-01',
    '2023-02-29T00:00:00Z',
    '2024-02-30T00:00:00.000Z',
    '2024-05-01T24:00:00Z',
    '2024-05-01T10:60:00Z',
    '2024-05-01T10:00:60Z',
    '2024-13-01T00:00:00Z',
    '2024-05-01T10:00:00+25:00',
    '9999-12-31T23:59:59.999-01:00',
    '0000-01-01T00:30:00+01:00',
    'Wed, 01 May 2024 10:00:00 GMT',
    '',
    ' ',
    1_714_557_600,
    1_714_557_600_000,
    null,
    undefined,
    {},
    new Date(0),
  ])('refuses %j', (input) => {
    expect(toIsoUtc(input)).toBeNull();
  });

  it('returns exactly the text the DATETIME CHECK accepts', () => {
    expect(toIsoUtc('2024-05-01T10:00:00+02:00')).toMatch(/^\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\d\.\d{3}Z$/);
  });
});

describe('toPlainDate', () => {
  it('accepts calendar dates only', () => {
    expect(toPlainDate('2024-02-29')).toBe('2024-02-29');
    expect(toPlainDate('2023-02-29')).toBeNull();
    expect(toPlainDate('2024-05-01T00:00:00Z')).toBeNull();
    expect(toPlainDate(20240501)).toBeNull();
  });
});
