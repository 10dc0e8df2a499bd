/** SPEAKUP_EXCLUDE as a pure transformation of a detail, and the privacy variables of the configuration. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { compileExclusion, stripDetail } from '../../src/privacy/exclude.js';
import { createFieldMap } from '../../src/sync/field-map.js';
import { toIssueRecord } from '../../src/sync/map-issue.js';
import { configProblems, loadTestConfig } from '../helpers/config.js';

const detail = () => ({
  id: 7,
  updatedAt: '2025-01-02T03:04:05.000Z',
  summary: 'kept',
  description: 'secret description',
  reporter: { name: 'R', messages: ['m1', 'm2'] },
  attachments: [
    { name: 'a.pdf', size: 1 },
    { name: 'b.pdf', size: 2 },
  ],
  forms: [
    {
      id: 1,
      fields: [
        { id: 'x', label: 'Witness Statement', type: 'text', value: 'secret field' },
        { id: 'y', label: 'Location', type: 'text', value: 'Utrecht' },
      ],
    },
  ],
});

describe('SPEAKUP_EXCLUDE', () => {
  it('removes dotted paths, through arrays, and fields by label (case-insensitive), before mapping', () => {
    const d = detail();
    const ex = compileExclusion(['description', 'reporter.messages', 'attachments.name', 'witness statement'])!;
    expect(stripDetail(d, ex)).toBe(true);
    expect(d).toEqual({
      id: 7,
      updatedAt: '2025-01-02T03:04:05.000Z',
      summary: 'kept',
      reporter: { name: 'R' },
      attachments: [{ size: 1 }, { size: 2 }],
      forms: [{ id: 1, fields: [{ id: 'y', label: 'Location', type: 'text', value: 'Utrecht' }] }],
    });
    const rec = toIssueRecord(d, '2025-01-03T00:00:00.000Z');
    expect(rec.issue.description).toBeNull();
    expect(rec.fields.map((f) => f.label)).toEqual(['Location']);
    expect(JSON.stringify(rec)).not.toMatch(/secret/);
  });

  it('follows the field map for forms and labels', () => {
    const map = createFieldMap({ forms: 'sections', form_fields: 'items', field_label: 'title' });
    const d = {
      id: 1,
      updatedAt: '2025-01-02T03:04:05.000Z',
      sections: [
        {
          items: [
            { title: 'Name', value: 'x' },
            { title: 'Age', value: 3 },
          ],
        },
      ],
    };
    expect(stripDetail(d, compileExclusion(['Name'])!, map)).toBe(true);
    expect(d.sections[0]!.items).toEqual([{ title: 'Age', value: 3 }]);
  });

  it('reports nothing removed when nothing matches, and has no rules for an empty list', () => {
    const d = detail();
    expect(stripDetail(d, compileExclusion(['nowhere.at.all'])!)).toBe(false);
    expect(d).toEqual(detail());
    expect(compileExclusion([' ', ''])).toBeUndefined();
  });

  it('refuses to exclude what identifies an issue', () => {
    expect(() => compileExclusion(['updatedAt'])).toThrow(ConfigError);
  });
});

describe('privacy configuration', () => {
  const base = {
    SPEAKUP_API_URL: 'https://api.example.test/base',
    SPEAKUP_CLIENT_SYSTEM: 'showroom',
    SPEAKUP_USER_POOL_ID: 'eu-west-1_AbC123',
    SPEAKUP_APP_CLIENT_ID: 'client123',
    SPEAKUP_USERNAME: 'sync-bot',
    SPEAKUP_PASSWORD: 'S3cret-Passw0rd!',
  };

  it('defaults to a weekly night reconcile, a 30-day purge and no exclusion', () => {
    expect(loadTestConfig(base).privacy).toEqual({
      reconcileCron: '0 3 * * 0',
      purgeDeletedAfterMs: 30 * 86_400_000,
      exclude: [],
    });
  });

  it('takes 0, off, a duration and a comma list', () => {
    const c = (extra: Record<string, string>) => loadTestConfig({ ...base, ...extra }).privacy;
    expect(c({ SPEAKUP_PURGE_DELETED_AFTER: '0' }).purgeDeletedAfterMs).toBe(0);
    expect(c({ SPEAKUP_PURGE_DELETED_AFTER: 'off' }).purgeDeletedAfterMs).toBeUndefined();
    expect(c({ SPEAKUP_PURGE_DELETED_AFTER: '12h' }).purgeDeletedAfterMs).toBe(12 * 3_600_000);
    expect(c({ SPEAKUP_EXCLUDE: ' description , reporter.messages,,Witness statement ' }).exclude).toEqual([
      'description',
      'reporter.messages',
      'Witness statement',
    ]);
  });

  it('names a bad retention or reconcile schedule', () => {
    const p = configProblems({ ...base, SPEAKUP_PURGE_DELETED_AFTER: 'soon', SPEAKUP_RECONCILE_SCHEDULE: 'weekly' });
    expect(
      p.some((x) => x.startsWith('SPEAKUP_PURGE_DELETED_AFTER: expected a duration such as 30d, 0 (at once) or off')),
    ).toBe(true);
    expect(p.some((x) => x.startsWith('SPEAKUP_RECONCILE_SCHEDULE: expected a cron expression'))).toBe(true);
  });
});
