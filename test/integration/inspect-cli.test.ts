/**
 * `speakup-sync inspect` and SPEAKUP_FIELD_MAP through the real CLI (a child process): exit codes, the
 * text and JSON reports, no issue value in any output, no file written, and a malformed map refused at
 * start with one line and exit 78.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { startEmulator, type Emulator } from '../../src/emulator/start.js';
import type { InspectReport } from '../../src/inspect/types.js';
import { runCli } from '../helpers/cli.js';
import { issueValues, leakedValues, RENAMED_MAP } from '../helpers/dialects.js';
import { FAST_RETRY_ENV } from '../helpers/harness.js';

let plain: Emulator;
let renamed: Emulator;
let dir: string;
const mapDirs: string[] = [];

beforeAll(async () => {
  [plain, renamed] = await Promise.all([
    startEmulator({ issues: 40, seed: 9 }),
    startEmulator({ issues: 40, seed: 9, knobs: { detailDialect: 'renamed' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([plain?.close(), renamed?.close()]);
  for (const d of mapDirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh, empty working directory per run: the default SPEAKUP_DB (./data/speakup.db) would land here. */
async function cli(emu: Emulator, args: string[], env: Record<string, string> = {}) {
  dir = mkdtempSync(join(tmpdir(), 'inspect-cli-'));
  try {
    const result = await runCli(args, { ...emu.env(), ...FAST_RETRY_ENV, ...env }, dir);
    return { ...result, files: readdirSync(dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function mapFile(content: string): string {
  const d = mkdtempSync(join(tmpdir(), 'field-map-'));
  mapDirs.push(d);
  const file = join(d, 'field-map.json');
  writeFileSync(file, content);
  return file;
}

describe('speakup-sync inspect', () => {
  it('exits 0 on the default dialect, prints no value and writes nothing', async () => {
    const r = await cli(plain, ['inspect']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout.split('\n')[0]).toBe(`OK: ${plain.apiUrl}: 0 problems, 0 warnings`);
    expect(r.stdout).toMatch(/^ok +paging +"page" and "pageSize" honoured/m);
    expect(r.files).toEqual([]);
    expect(leakedValues(issueValues(plain, 'default'), r.stdout)).toEqual([]);
  });

  it('exits 1 on the renamed dialect; --json gives the same report with the starting map', async () => {
    const text = await cli(renamed, ['inspect']);
    expect(text.code).toBe(EXIT.FATAL);
    expect(text.stdout.split('\n')[0]).toBe(`PROBLEMS: ${renamed.apiUrl}: 20 problems, 1 warning`);
    expect(text.stdout).toMatch(/^problem +column status +"status" is in none of 20 details; "state" looks like it/m);
    const json = await cli(renamed, ['inspect', '--json', '--sample', '7']);
    expect(json.code).toBe(EXIT.FATAL);
    const report = JSON.parse(json.stdout) as InspectReport;
    expect(report.ok).toBe(false);
    expect(report.sampled).toBe(7);
    expect(report.fieldMap).toEqual(RENAMED_MAP);
    expect(report.findings.find((f) => f.check === 'detail sample')?.detail).toBe('7 details read');
    expect(json.files).toEqual([]);
    expect(leakedValues(issueValues(renamed, 'renamed'), text.stdout, json.stdout)).toEqual([]);
  });

  it('exits 0 on the renamed dialect once SPEAKUP_FIELD_MAP holds the printed map', async () => {
    const r = await cli(renamed, ['inspect'], { SPEAKUP_FIELD_MAP: mapFile(JSON.stringify(RENAMED_MAP)) });
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout.split('\n')[0]).toBe(`OK: ${renamed.apiUrl}: 0 problems, 1 warning`);
    expect(r.stdout).toMatch(/^warning +column issue_type /m);
  });

  it('refuses a bad --sample as a usage error', async () => {
    for (const args of [
      ['inspect', '--sample', '0'],
      ['inspect', '--sample', 'many'],
      ['status', '--sample', '3'],
    ]) {
      const r = await cli(plain, args);
      expect(r.code, args.join(' ')).toBe(EXIT.USAGE);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});

describe('SPEAKUP_FIELD_MAP validated at start', () => {
  it.each([
    [
      'an unknown column',
      '{"stat": "state"}',
      'SPEAKUP_FIELD_MAP \\(.*field-map\\.json\\): unknown column "stat"; expected one of custom_id, ',
    ],
    [
      'a malformed path',
      '{"status": "a..b"}',
      'SPEAKUP_FIELD_MAP \\(.*field-map\\.json\\): status: expected a dotted path such as "assignedTo.name"',
    ],
    ['a file that is not JSON', '{"status": ', 'SPEAKUP_FIELD_MAP: ".*field-map\\.json" is not valid JSON'],
  ])('%s: exit 78 with one line, for inspect and for sync', async (_name, content, pattern) => {
    const file = mapFile(content);
    for (const command of ['inspect', 'sync']) {
      const r = await cli(plain, [command], { SPEAKUP_FIELD_MAP: file });
      expect(r.code, command).toBe(EXIT.CONFIG);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^speakup-sync: invalid configuration: ${pattern}`));
      expect(r.files).toEqual([]);
    }
  });

  it('a missing file: exit 78 naming the variable', async () => {
    const r = await cli(plain, ['inspect'], { SPEAKUP_FIELD_MAP: './no-such-map.json' });
    expect(r.code).toBe(EXIT.CONFIG);
    expect(r.stderr).toMatch(
      /^speakup-sync: invalid configuration: SPEAKUP_FIELD_MAP: cannot read ".*no-such-map\.json" \(ENOENT\); name a JSON file such as \.\/field-map\.json\n$/,
    );
  });
});
