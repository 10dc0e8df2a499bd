import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  DEFAULT_FIELD_MAP,
  DEFAULT_PATHS,
  FIELD_MAP_COLUMNS,
  compilePath,
  createFieldMap,
  fieldMapOverrides,
  fieldMapProblems,
  readFieldMapFile,
  toIsoAs,
} from '../../src/sync/field-map.js';
import { toIssueRecord } from '../../src/sync/map-issue.js';
import { RENAMED_MAP } from '../helpers/dialects.js';

const SYNCED = '2025-07-01T00:00:00.000Z';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('compilePath', () => {
  it('reads nested keys and array indexes, and nothing from prototypes or scalars', () => {
    const o = { a: { b: [{ c: 1 }, { c: 2 }] }, s: 'text', n: null };
    expect(compilePath('a.b.1.c')(o)).toBe(2);
    expect(compilePath('a.b')(o)).toEqual([{ c: 1 }, { c: 2 }]);
    expect(compilePath('s.length')(o)).toBeUndefined();
    expect(compilePath('a.b.length')(o)).toBeUndefined();
    expect(compilePath('n.x')(o)).toBeUndefined();
    expect(compilePath('constructor')(o)).toBeUndefined();
    expect(compilePath('a.constructor')(o)).toBeUndefined();
    expect(compilePath('missing.deep')(o)).toBeUndefined();
  });
});

describe('toIsoAs', () => {
  it('turns epoch milliseconds and seconds into stored timestamps, and refuses implausible ones', () => {
    const ms = Date.UTC(2025, 4, 1, 8, 30, 0, 123);
    expect(toIsoAs(ms, 'epoch-ms')).toBe('2025-05-01T08:30:00.123Z');
    expect(toIsoAs(ms / 1000, 'epoch-s')).toBe('2025-05-01T08:30:00.123Z');
    // Seconds read as milliseconds land in 1970: refused, not stored as a wrong date.
    expect(toIsoAs(Math.floor(ms / 1000), 'epoch-ms')).toBeNull();
    expect(toIsoAs(Number.NaN, 'epoch-ms')).toBeNull();
    // A string in an epoch column is still read as ISO-8601 text.
    expect(toIsoAs('2025-05-01T08:30:00Z', 'epoch-ms')).toBe('2025-05-01T08:30:00.000Z');
    expect(toIsoAs(ms, 'iso')).toBeNull();
  });
});

describe('createFieldMap', () => {
  it('defaults to the built-in paths for every column', () => {
    expect(DEFAULT_FIELD_MAP.isDefault).toBe(true);
    for (const c of FIELD_MAP_COLUMNS) expect(DEFAULT_FIELD_MAP.specs[c]).toEqual({ path: DEFAULT_PATHS[c] });
    expect(fieldMapOverrides(DEFAULT_FIELD_MAP)).toEqual({});
  });

  it('overrides only the columns it names, and round-trips through fieldMapOverrides', () => {
    const overrides = {
      status: 'state',
      assignee_name: 'assignedTo.name',
      received_at: { path: 'dates.received', as: 'epoch-ms' },
    } as const;
    const map = createFieldMap(overrides);
    expect(map.isDefault).toBe(false);
    expect(map.specs.status).toEqual({ path: 'state' });
    expect(map.specs.assignee_email).toEqual({ path: 'assignee.email' });
    expect(fieldMapOverrides(map)).toEqual(overrides);
    expect(createFieldMap({ status: 'status', due_at: { path: 'dueAt', as: 'iso' } }).isDefault).toBe(true);
  });

  it('lists every problem: unknown columns, malformed paths, misplaced or unknown date formats', () => {
    const problems = fieldMapProblems({
      state: 'status',
      id: 'key',
      status: '',
      channel: 'a..b',
      summary: 'has space',
      labels: 7,
      assignee_name: { path: 'x', as: 'epoch-ms' },
      due_at: { path: 'd', as: 'unix' },
      closed_at: { path: 'c', format: 'iso' },
      domain_id: 'a.b.c.d.e.f.g.h.i',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^SPEAKUP_FIELD_MAP: unknown column "state"; expected one of custom_id, /),
      expect.stringMatching(/^SPEAKUP_FIELD_MAP: unknown column "id" \(id and updated_at are fixed\)/),
      expect.stringMatching(/^SPEAKUP_FIELD_MAP: status: expected a dotted path .*\(got ""\)$/),
      expect.stringMatching(/^SPEAKUP_FIELD_MAP: channel: expected a dotted path .*\(got "a\.\.b"\)$/),
      expect.stringMatching(/^SPEAKUP_FIELD_MAP: summary: expected a dotted path .*\(got "has space"\)$/),
      'SPEAKUP_FIELD_MAP: labels: expected a dotted path such as "assignedTo.name" (got a number)',
      expect.stringMatching(/^SPEAKUP_FIELD_MAP: assignee_name: "as" applies only to the date columns /),
      'SPEAKUP_FIELD_MAP: due_at: "as" must be iso, epoch-ms, epoch-s (got "unix")',
      'SPEAKUP_FIELD_MAP: closed_at: unknown key "format"; expected "path" and, for a date column, "as"',
      expect.stringMatching(
        /^SPEAKUP_FIELD_MAP: domain_id: expected a dotted path such as "assignedTo.name", at most 8 keys/,
      ),
    ]);
    expect(fieldMapProblems(['status'])).toEqual([
      'SPEAKUP_FIELD_MAP: expected a JSON object from column name to dotted path, e.g. {"status": "state"} (got an array)',
    ]);
  });

  it('throws one ConfigError whose message is one line', () => {
    const err = configError(() => createFieldMap({ stat: 'state', status: 'a..b' }));
    expect(err.problems).toHaveLength(2);
    expect(err.message).not.toContain('\n');
    expect(err.message).toMatch(/^invalid configuration: SPEAKUP_FIELD_MAP: unknown column "stat"/);
  });
});

describe('readFieldMapFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'field-map-'));
  it('reads a JSON file, and names the file when it is missing or not JSON', () => {
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ status: 'state' }));
    expect(readFieldMapFile(good).specs.status).toEqual({ path: 'state' });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"status": ');
    expect(configError(() => readFieldMapFile(bad)).message).toMatch(
      /^invalid configuration: SPEAKUP_FIELD_MAP: ".*bad\.json" is not valid JSON \(/,
    );
    expect(configError(() => readFieldMapFile(join(dir, 'none.json'))).message).toMatch(
      /SPEAKUP_FIELD_MAP: cannot read ".*none\.json" \(ENOENT\)/,
    );
    expect(configError(() => readFieldMapFile(good.replace('good', 'x'), () => '{"nope": "a"}')).message).toContain(
      `SPEAKUP_FIELD_MAP (${good.replace('good', 'x')}): unknown column "nope"`,
    );
  });
});

describe('toIssueRecord through a field map', () => {
  const received = Date.UTC(2025, 2, 3, 4, 5, 6, 7);
  const renamed = {
    id: 12,
    updatedAt: '2025-03-04T00:00:00.000Z',
    state: 'OPEN',
    kind: 'Case',
    source: { channel: 'WEB' },
    category: { id: 7, title: 'IT Security' },
    assignedTo: { id: 'u-1', name: 'Zoë', contact: { email: 'z@example.com' } },
    tags: ['gdpr', 3],
    dates: { received, due: received + 1000 },
    questionnaires: [
      {
        key: 'f1',
        title: 'Intake',
        answers: [
          { key: 'q1', question: 'Where', kind: 'text', answer: 'Lyon' },
          { key: 'q2', kind: 'number', answer: 4 },
        ],
      },
    ],
  };
  // The emulator's renamed dialect, whose issue type is under `kind` in this fixture.
  const map = createFieldMap({ ...RENAMED_MAP, issue_type: 'kind' });

  it('fills the typed columns and field rows from the mapped paths', () => {
    const rec = toIssueRecord(renamed, SYNCED, 12, undefined, map);
    expect(rec.issue).toMatchObject({
      status: 'OPEN',
      issueType: 'Case',
      channel: 'WEB',
      domainId: 7,
      domainName: 'IT Security',
      assigneeId: 'u-1',
      assigneeName: 'Zoë',
      assigneeEmail: 'z@example.com',
      labels: '["gdpr"]',
      receivedAt: '2025-03-03T04:05:06.007Z',
      dueAt: '2025-03-03T04:05:07.007Z',
      acknowledgedAt: null,
      closedAt: null,
    });
    expect(rec.fields).toEqual([
      {
        issueId: 12,
        position: 0,
        formId: 'f1',
        formName: 'Intake',
        fieldId: 'q1',
        label: 'Where',
        type: 'text',
        valueText: 'Lyon',
        valueNumber: null,
        valueJson: null,
      },
      {
        issueId: 12,
        position: 1,
        formId: 'f1',
        formName: 'Intake',
        fieldId: 'q2',
        label: null,
        type: 'number',
        valueText: '4',
        valueNumber: 4,
        valueJson: null,
      },
    ]);
    expect(rec.fts.fieldText).toBe('Lyon');
  });

  it('leaves the columns empty under the default map, and keeps the whole object either way', () => {
    const rec = toIssueRecord(renamed, SYNCED);
    expect(rec.issue).toMatchObject({
      status: null,
      channel: null,
      domainId: null,
      assigneeName: null,
      labels: null,
      receivedAt: null,
    });
    expect(rec.fields).toEqual([]);
    expect(JSON.parse(rec.issue.data)).toEqual(renamed);
  });
});
