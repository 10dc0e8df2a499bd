/** The configuration schema as a whole: rules that span variables still run when other values are wrong. */
import { describe, expect, it } from 'vitest';
import { formatDuration, formatElapsed, renderTable } from '../../src/format.js';
import { configProblems } from '../helpers/config.js';

describe('configuration problems', () => {
  it('lists URL rules together with an unknown provider and a non-integer', () => {
    expect(
      configProblems({
        SPEAKUP_AUTH: 'saml',
        SPEAKUP_API_URL: 'http://u:p@api.example.test',
        SPEAKUP_CLIENT_SYSTEM: 's',
        SPEAKUP_CONCURRENCY: '1.5',
      }),
    ).toEqual([
      'SPEAKUP_CONCURRENCY: expected an integer from 1 to 128 (got "1.5")',
      'SPEAKUP_AUTH: expected password, client-credentials or amplify (got "saml")',
      'SPEAKUP_API_URL: must not carry credentials in the URL',
      'SPEAKUP_API_URL: http:// is refused for non-loopback hosts; use https:// (or set SPEAKUP_ALLOW_INSECURE_HTTP=1, never in production)',
    ]);
  });

  it('checks the schedule and its time zone inside the schema, one line per variable', () => {
    expect(
      configProblems({
        SPEAKUP_API_URL: 'https://api.example.test',
        SPEAKUP_CLIENT_SYSTEM: 's',
        SPEAKUP_AUTH: 'client-credentials',
        SPEAKUP_TOKEN_URL: 'https://a.example.test/t',
        SPEAKUP_APP_CLIENT_ID: 'c',
        SPEAKUP_CLIENT_SECRET: 'x',
        SPEAKUP_SCHEDULE: '61 * * * *',
        SPEAKUP_TIMEZONE: 'Mars/Olympus',
      }),
    ).toEqual([
      'SPEAKUP_SCHEDULE: expected a cron expression such as "*/15 * * * *" (got "61 * * * *")',
      'SPEAKUP_TIMEZONE: expected an IANA time zone such as Europe/Amsterdam (got "Mars/Olympus")',
    ]);
  });
});

describe('text for people', () => {
  it('formats durations with the two largest units, run times with tenths under a minute', () => {
    expect([0, 12_000, 184_000, 3 * 3_600_000, 52 * 3_600_000].map((ms) => formatDuration(ms))).toEqual([
      '0 s',
      '12 s',
      '3 min 4 s',
      '3 h',
      '2 d 4 h',
    ]);
    expect([1_234, 184_000].map((ms) => formatElapsed(ms))).toEqual(['1.2 s', '3 min 4 s']);
  });

  it('aligns tables, numbers to the right, null as empty', () => {
    expect(
      renderTable([
        { name: 'a', n: 5, note: null },
        { name: 'bcd', n: 120, note: 'x' },
      ]),
    ).toBe(['name    n  note', '----  ---  ----', 'a       5', 'bcd   120  x'].join('\n'));
    expect(renderTable([])).toBe('(no rows)');
  });
});
