/**
 * `inspect` against the real emulator over HTTP, in its default dialect and in each other one: every
 * finding is checked against what the emulator is set to do, no value of any issue is printed, and
 * nothing is written (the database file is never created).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenProvider } from '../../src/cli/compose.js';
import { loadConfig } from '../../src/config/load.js';
import type { DetailDialect } from '../../src/emulator/api/generate.js';
import { startEmulator, type Emulator, type StartEmulatorOptions } from '../../src/emulator/start.js';
import { renderInspect } from '../../src/inspect/render.js';
import { pickSample, runInspect } from '../../src/inspect/run.js';
import type { Finding, InspectReport } from '../../src/inspect/types.js';
import { silentLogger } from '../../src/log.js';
import { createFieldMap, DEFAULT_FIELD_MAP, type FieldMap } from '../../src/sync/field-map.js';
import { issueValues, leakedValues, RENAMED_MAP } from '../helpers/dialects.js';
import { FAST_RETRY_ENV } from '../helpers/harness.js';

interface Run {
  emu: Emulator;
  report: InspectReport;
  text: string;
  json: string;
  dir: string;
}

const open: Run[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) {
    await r.emu.close();
    rmSync(r.dir, { recursive: true, force: true });
  }
});

async function inspect(
  emuOpts: StartEmulatorOptions,
  opts: { map?: FieldMap; env?: Record<string, string>; sample?: number } = {},
): Promise<Run> {
  const emu = await startEmulator({ issues: 60, seed: 5, ...emuOpts });
  const dir = mkdtempSync(join(tmpdir(), 'inspect-'));
  const config = loadConfig(
    { ...emu.env(), SPEAKUP_DB: join(dir, 'mirror.db'), ...FAST_RETRY_ENV, ...opts.env },
    { dotenv: false, cwd: dir },
  );
  const tokens = createTokenProvider(config, silentLogger());
  const report = await runInspect(config, tokens, {
    sample: opts.sample ?? 20,
    fieldMap: opts.map ?? DEFAULT_FIELD_MAP,
  });
  await tokens.close?.();
  const run = { emu, report, text: renderInspect(report), json: JSON.stringify(report), dir };
  open.push(run);
  return run;
}

function finding(r: InspectReport, check: string): Finding {
  const f = r.findings.find((x) => x.check === check);
  if (!f) throw new Error(`no finding "${check}" in ${r.findings.map((x) => x.check).join(', ')}`);
  return f;
}

function expectNoValues(run: Run, dialect: DetailDialect = 'default'): void {
  const values = issueValues(run.emu, dialect);
  expect(values.size).toBeGreaterThan(100);
  expect(leakedValues(values, run.text, run.json)).toEqual([]);
  // Nothing written: the configured database was never created.
  expect(readdirSync(run.dir)).toEqual([]);
}

describe('inspect: the default dialect', () => {
  it('reports every server behaviour as it is, every column found, no field map needed', async () => {
    const run = await inspect({});
    const r = run.report;
    expect(r.ok).toBe(true);
    expect(r.findings.filter((f) => f.verdict !== 'ok')).toEqual([]);
    expect(finding(r, 'login').detail).toBe(
      'Cognito USER_SRP_AUTH via amazon-cognito-identity-js (SPEAKUP_AUTH=password): id token obtained, lifetime 10 min',
    );
    expect(finding(r, 'client header').detail).toBe('"client" accepted; required (refused without it: 403)');
    expect(finding(r, 'list shape').detail).toBe('a bare JSON array');
    expect(finding(r, 'paging').detail).toBe('"page" and "pageSize" honoured (pages 1 and 2 of 5 differ)');
    expect(finding(r, 'list stability').detail).toBe('two reads of page 1 agree');
    expect(finding(r, 'page-size cap').detail).toBe('none seen: asked for 1000, got the whole list (60)');
    expect(finding(r, 'list order').detail).toBe('by id, ascending');
    expect(finding(r, 'detail sample').detail).toBe('20 details read');
    expect(finding(r, 'rate limiting').detail).toMatch(/^no rate-limit headers in \d+ answers/);
    expect(r.fieldMap).toEqual({});
    expect(run.text).toContain('Field map: the built-in paths fit this sample; SPEAKUP_FIELD_MAP is not needed.');
    expectNoValues(run);
  });

  it('counts each path over exactly the sampled details', async () => {
    const run = await inspect({});
    const sampled = pickSample(run.emu.data.ids(), 20).map((id) => run.emu.data.get(id)!);
    expect(run.report.sampled).toBe(20);
    const stat = (p: string) => run.report.paths.find((s) => s.path === p);
    expect(stat('status')).toMatchObject({ present: 20, withValue: 20, types: { string: 20 } });
    expect(stat('closedAt')).toMatchObject({
      present: 20,
      withValue: sampled.filter((d) => d.closedAt != null).length,
    });
    expect(stat('assignee.email')?.present).toBe(sampled.filter((d) => d.assignee != null).length);
    expect(stat('forms[].fields[].label')?.types.string).toBe(
      sampled.reduce((n, d) => n + (d.forms ?? []).reduce((m, f) => m + f.fields.length, 0), 0),
    );
    const column = (c: string) => run.report.columns.find((x) => x.column === c);
    expect(column('acknowledged_at')).toEqual({
      column: 'acknowledged_at',
      path: 'acknowledgedAt',
      found: sampled.filter((d) => d.acknowledgedAt != null).length,
    });
    expect(column('field_value')?.path).toBe('forms[].fields[].value');
  });

  it('reads an envelope, measures the page-size cap and sees the rate-limit headers', async () => {
    const run = await inspect({
      knobs: { paging: 'envelope', pageSizeMax: 25, rateLimit: { rps: 10_000, burst: 10_000 } },
    });
    const r = run.report;
    expect(finding(r, 'list shape').detail).toBe('an envelope, items under "data"');
    expect(finding(r, 'paging').verdict).toBe('ok');
    expect(finding(r, 'page-size cap')).toEqual({
      check: 'page-size cap',
      verdict: 'warning',
      detail: '25 items per page at most (asked for 1000)',
      setting: 'SPEAKUP_PAGE_SIZE=25 (now 500: short pages, the sync copes)',
    });
    expect(finding(r, 'rate limiting').detail).toBe(
      'headers seen: x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset (x-ratelimit-limit 10000)',
    );
    expect(r.ok).toBe(true);
    expectNoValues(run);
  });
});

describe('inspect: other dialects', () => {
  it('renamed detail: each unfound column is a problem with its look-alike, and the starting map is the right one', async () => {
    const run = await inspect({ knobs: { detailDialect: 'renamed' } });
    const r = run.report;
    expect(r.ok).toBe(false);
    expect(finding(r, 'column status')).toEqual({
      check: 'column status',
      verdict: 'problem',
      setting: 'SPEAKUP_FIELD_MAP: {"status":"state"}',
      detail: '"status" is in none of 20 details; "state" looks like it (string 20; in 20/20)',
    });
    expect(finding(r, 'column received_at').setting).toBe(
      'SPEAKUP_FIELD_MAP: {"received_at":{"path":"dates.received","as":"epoch-ms"}}',
    );
    expect(finding(r, 'column issue_type')).toMatchObject({
      verdict: 'warning',
      detail: '"issueType" is in none of 20 details and nothing looks like it: the column stays empty',
    });
    for (const c of ['custom_id', 'created_at', 'summary', 'description'])
      expect(finding(r, `column ${c}`).verdict).toBe('ok');
    const problems = r.findings.filter((f) => f.verdict === 'problem').map((f) => f.check.replace('column ', ''));
    expect(problems.sort()).toEqual(Object.keys(RENAMED_MAP).sort());
    expect(r.fieldMap).toEqual(RENAMED_MAP);
    expect(run.text).toContain(
      'Starting field map (save it as a file and set SPEAKUP_FIELD_MAP to its path):\n{\n  "status": "state",\n',
    );
    expectNoValues(run, 'renamed');
  });

  it('renamed detail read through the suggested map: every column found but the missing one', async () => {
    const run = await inspect({ knobs: { detailDialect: 'renamed' } }, { map: createFieldMap(RENAMED_MAP) });
    const r = run.report;
    expect(r.ok).toBe(true);
    expect(r.findings.filter((f) => f.verdict !== 'ok').map((f) => f.check)).toEqual(['column issue_type']);
    expect(finding(r, 'column due_at').detail).toBe('"dates.due": in 20/20 details (epoch-ms 20)');
    expect(finding(r, 'column field_label').detail).toMatch(
      /^"questionnaires\[\]\.answers\[\]\.question": in \d+\/20 details \(string \d+\)$/,
    );
    expect(r.fieldMap).toEqual(RENAMED_MAP);
  });

  it('epoch dates under the default names are a problem until the map says how they are written', async () => {
    const run = await inspect(
      { knobs: { detailDialect: 'renamed' } },
      { map: createFieldMap({ ...RENAMED_MAP, due_at: 'dates.due' }) },
    );
    expect(finding(run.report, 'column due_at')).toEqual({
      check: 'column due_at',
      verdict: 'problem',
      setting: 'SPEAKUP_FIELD_MAP: {"due_at":{"path":"dates.due","as":"epoch-ms"}}',
      detail:
        '"dates.due": in 20/20 details (epoch-ms 20): numbers since 1970 are read as ISO-8601 text, so the column stays empty',
    });
  });

  it('newest-first list: the order is reported, paging still honoured', async () => {
    const run = await inspect({ knobs: { listOrder: 'newest-first' } });
    expect(finding(run.report, 'list order')).toMatchObject({
      verdict: 'warning',
      detail: expect.stringMatching(/^by updatedAt, newest first: /),
    });
    expect(finding(run.report, 'paging').verdict).toBe('ok');
    expect(run.report.ok).toBe(true);
    expectNoValues(run);
  });

  it('ignored page parameter: a problem naming SPEAKUP_PAGE_PARAM; the cap cannot be measured', async () => {
    const run = await inspect({ knobs: { ignorePageParam: true, pageSizeMax: 25 } });
    expect(finding(run.report, 'paging')).toEqual({
      check: 'paging',
      verdict: 'problem',
      setting: 'SPEAKUP_PAGE_PARAM',
      detail: '"page" ignored: page 2 repeats page 1, so a sync would stop after the first page',
    });
    expect(finding(run.report, 'page-size cap').detail).toBe('not measurable: the page parameter is ignored');
    expect(run.report.ok).toBe(false);
    expectNoValues(run);
  });

  it('a server that does not page: a warning, the sync copes', async () => {
    const run = await inspect({ knobs: { paging: 'unpaged' } });
    expect(finding(run.report, 'paging')).toMatchObject({
      verdict: 'warning',
      detail: 'not paged: pageSize=5 and page=2 both return the same 60 items (the sync reads it once)',
    });
    expect(run.report.ok).toBe(true);
  });
});

describe('inspect: login flows', () => {
  it('client credentials: the flow and the access token lifetime, the rest as with a user', async () => {
    const run = await inspect({ cognito: { oauthTokenTtlSec: 900 } }, { env: { SPEAKUP_AUTH: 'client-credentials' } });
    expect(finding(run.report, 'login')).toEqual({
      check: 'login',
      verdict: 'ok',
      detail: 'OAuth 2.0 client credentials (SPEAKUP_AUTH=client-credentials): access token obtained, lifetime 15 min',
    });
    expect(run.report.ok).toBe(true);
  });

  it('a short token lifetime is a warning', async () => {
    const run = await inspect({ cognito: { idTokenTtlSec: 90, accessTokenTtlSec: 90 } });
    expect(finding(run.report, 'login')).toMatchObject({
      verdict: 'warning',
      detail: expect.stringMatching(/id token obtained, lifetime 90 s: renewed often/),
    });
  });
});

describe('inspect: refusals', () => {
  it('a wrong client system is a problem naming the setting; the probe stops there', async () => {
    const run = await inspect({}, { env: { SPEAKUP_CLIENT_SYSTEM: 'not-this-one' } });
    expect(finding(run.report, 'client header')).toEqual({
      check: 'client header',
      verdict: 'problem',
      detail: 'refused (403) with header "client"',
      setting: 'SPEAKUP_CLIENT_SYSTEM (the subdomain of your SpeakUp login URL) and SPEAKUP_CLIENT_HEADER',
    });
    expect(run.report.findings.map((f) => f.check)).toEqual(['login', 'client header', 'rate limiting']);
    expect(run.report.ok).toBe(false);
  });

  it('a refused login is a problem that does not echo the password', async () => {
    const run = await inspect({}, { env: { SPEAKUP_PASSWORD: 'Wrong-Passw0rd!x' } });
    expect(finding(run.report, 'login')).toMatchObject({
      verdict: 'problem',
      setting: 'SPEAKUP_AUTH and its credentials',
    });
    expect(run.report.findings).toHaveLength(1);
    expect(run.text).not.toContain('Wrong-Passw0rd!x');
    expect(run.text).not.toContain(run.emu.password);
  });
});
