import { describe, expect, it } from 'vitest';
import { checkColumns } from '../../src/inspect/columns.js';
import { orderFinding } from '../../src/inspect/list.js';
import { jwtClaims } from '../../src/inspect/login.js';
import { collectPaths, typeOf } from '../../src/inspect/paths.js';
import { pickSample } from '../../src/inspect/run.js';
import { similarity } from '../../src/inspect/similar.js';
import { DEFAULT_FIELD_MAP } from '../../src/sync/field-map.js';

describe('similarity', () => {
  it('ranks the same name, the same stem and synonyms above unrelated names', () => {
    expect(similarity('status', 'status')).toBe(1);
    expect(similarity('receivedAt', 'received')).toBe(0.95);
    expect(similarity('dueAt', 'due_date')).toBe(0.95);
    expect(similarity('status', 'state')).toBe(0.9);
    expect(similarity('assignee', 'assignedTo')).toBe(0.9);
    expect(similarity('labels', 'tags')).toBe(0.9);
    expect(similarity('assignee', 'assigneeInfo')).toBe(0.8);
    expect(similarity('status', 'statsu')).toBeGreaterThan(0.6);
    for (const [a, b] of [
      ['status', 'summary'],
      ['domain', 'assignedTo'],
      ['issueType', 'state'],
      ['email', 'name'],
    ]) {
      expect(similarity(a!, b!), `${a} ~ ${b}`).toBeLessThan(0.7);
    }
  });
});

describe('path statistics', () => {
  it('classifies values without keeping them', () => {
    expect(
      ['2025-01-02T03:04:05Z', '2025-01-02', 'x', Date.UTC(2025, 0, 1), 1_735_689_600, 42, 1.5, true, null, [], {}].map(
        typeOf,
      ),
    ).toEqual([
      'timestamp',
      'date',
      'string',
      'epoch-ms',
      'epoch-s',
      'number',
      'number',
      'boolean',
      'null',
      'array',
      'object',
    ]);
  });

  it('counts presence per detail, array elements as [], and lengths', () => {
    const stats = collectPaths([{ a: { b: 'xy' }, l: ['p', 'qrs'] }, { a: null, l: [] }, { l: ['t'] }]);
    const by = new Map(stats.map((s) => [s.path, s]));
    expect(by.get('a')).toEqual({ path: 'a', present: 2, withValue: 1, types: { object: 1, null: 1 } });
    expect(by.get('a.b')).toEqual({
      path: 'a.b',
      present: 1,
      withValue: 1,
      types: { string: 1 },
      minLength: 2,
      maxLength: 2,
    });
    expect(by.get('l')).toMatchObject({ present: 3, types: { array: 3 }, minLength: 0, maxLength: 2 });
    expect(by.get('l[]')).toMatchObject({ present: 2, types: { string: 3 }, minLength: 1, maxLength: 3 });
    expect(JSON.stringify(stats)).not.toMatch(/xy|qrs/);
  });

  it('never shows a key that looks like a value', () => {
    const stats = collectPaths([{ people: { 'anna@example.com': { n: 1 }, 'Anna de Vries': 2, '501': 3 } }]);
    expect(stats.map((s) => s.path).sort()).toEqual(['people', 'people.*', 'people.*.n', 'people.501']);
    expect(JSON.stringify(stats)).not.toMatch(/anna|Vries/i);
  });

  it('suggests look-alikes only of the expected type and structure, each path once', () => {
    const stats = collectPaths([
      {
        id: 1,
        updatedAt: '2025-01-01T00:00:00Z',
        state: { code: 3 },
        phase: 'OPEN',
        owner: { id: 5, name: 'n' },
        items: [{ value: 1 }],
      },
    ]);
    const { columns, fieldMap } = checkColumns(DEFAULT_FIELD_MAP, stats, 1);
    const col = (c: string) => columns.find((x) => x.column === c);
    // "state" is an object here: the string "phase" is the status.
    expect(col('status')?.suggestion).toBe('phase');
    expect(col('assignee_id')?.suggestion).toBe('owner.id');
    expect(col('assignee_name')?.suggestion).toBe('owner.name');
    // Top-level columns are never read from inside an array, and the id is never offered.
    expect(col('summary')?.suggestion).toBeUndefined();
    expect(col('custom_id')?.suggestion).toBeUndefined();
    expect(fieldMap).toMatchObject({ status: 'phase', assignee_id: 'owner.id', assignee_name: 'owner.name' });
  });
});

describe('list order', () => {
  const item = (id: number, updatedAt: string) => ({ id, updatedAt });
  it('tells id order, updatedAt order and unknown apart', () => {
    expect(orderFinding([item(1, 'c'), item(2, 'a'), item(5, 'b')]).detail).toBe('by id, ascending');
    expect(orderFinding([item(5, 'a'), item(2, 'c'), item(1, 'b')]).detail).toMatch(/^by id, descending/);
    expect(orderFinding([item(2, 'c'), item(5, 'b'), item(1, 'a')]).detail).toMatch(/^by updatedAt, newest first/);
    expect(orderFinding([item(2, 'a'), item(5, 'b'), item(1, 'c')]).detail).toMatch(/^by updatedAt, oldest first/);
    expect(orderFinding([item(2, 'b'), item(5, 'a'), item(1, 'c')]).detail).toBe(
      'unknown (neither by id nor by updatedAt)',
    );
    expect(orderFinding([item(1, 'a')])).toMatchObject({ verdict: 'warning', detail: 'too few items (1) to tell' });
  });
});

describe('token description and sampling', () => {
  it('reads use and lifetime from a JWT, nothing from an opaque token', () => {
    const payload = Buffer.from(JSON.stringify({ token_use: 'id', iat: 1000, exp: 4600 })).toString('base64url');
    expect(jwtClaims(`h.${payload}.s`)).toEqual({ tokenUse: 'id', lifetimeS: 3600 });
    expect(jwtClaims('opaque-token')).toBeUndefined();
    expect(jwtClaims('a.not-json.c')).toBeUndefined();
  });

  it('spreads the sample over the list', () => {
    expect(pickSample([1, 2, 3], 20)).toEqual([1, 2, 3]);
    expect(
      pickSample(
        Array.from({ length: 100 }, (_, i) => i + 1),
        4,
      ),
    ).toEqual([1, 26, 51, 76]);
    expect(pickSample([0, -1, 1.5, 7], 4)).toEqual([7]);
  });
});
