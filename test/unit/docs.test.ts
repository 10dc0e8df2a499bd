import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderDocs } from '../../scripts/docs.js';
import { USAGE } from '../../src/cli/usage.js';

const PAGES = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];

/** Markdown without fenced code blocks, whose `#` lines and `[x](y)` are not headings or links. */
function prose(markdown: string): string {
  return markdown.replace(/^(`{3,})[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, '');
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to hyphens, -1, -2 for repeats. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, text] of prose(markdown).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const plain = text!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/`/g, '');
    const slug = plain
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** Relative links of a page: `[text](path#anchor)`, outside code blocks, web and mail links left out. */
function relativeLinks(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((t) => !/^[a-z][a-z+.-]*:/i.test(t));
}

describe('generated documentation', () => {
  it.each(Object.entries(renderDocs(readFileSync)))('%s is up to date (run `npm run docs`)', (path, expected) => {
    expect(readFileSync(path, 'utf8')).toBe(expected);
  });
});

describe('links between the docs', () => {
  it.each(PAGES)('%s: every relative link names a file and heading that exist', (page) => {
    const broken: string[] = [];
    for (const link of relativeLinks(readFileSync(page, 'utf8'))) {
      const [path = '', anchor] = link.split('#');
      const target = path === '' ? page : normalize(join(dirname(page), path));
      if (!existsSync(target)) broken.push(`${link}: no file ${target}`);
      else if (anchor !== undefined && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(anchor)) {
        broken.push(`${link}: no heading #${anchor} in ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the anchor rules match GitHub on the headings these docs use', () => {
    expect([
      ...anchors(
        '# Status: `speakup-sync status`\n## Why the defaults\n## Why the defaults\n```sh\n# a comment\n```\n### 1. Full sync\n',
      ),
    ]).toEqual(['status-speakup-sync-status', 'why-the-defaults', 'why-the-defaults-1', '1-full-sync']);
  });
});

describe('README.md', () => {
  const readme = readFileSync('README.md', 'utf8');

  it('stays a short front door: at most 200 lines, the reference in docs/', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(200);
  });

  it('has every command of `speakup-sync --help` in its command table', () => {
    const section = USAGE.split(/^Commands$/m)[1]?.split(/\n\s*\n/)[0] ?? '';
    const commands = [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!);
    expect(commands.length).toBeGreaterThanOrEqual(5);
    const table = readme.split(/^## Commands$/m)[1]?.split(/^## /m)[0] ?? '';
    const missing = commands.filter((c) => !new RegExp(`^\\| \`${c}[\` ]`, 'm').test(table));
    expect(missing).toEqual([]);
  });
});

describe('docs/reliability.md', () => {
  const doc = readFileSync('docs/reliability.md', 'utf8');
  const testFiles = readdirSync('test', { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join('test', f));
  // `file.test.ts` "test name", "another…": the proof each guarantee cites.
  const cited = [...doc.matchAll(/`([\w*-]+\.test\.ts)`((?:,? "[^"]+")*)/g)].map((m) => ({
    file: m[1]!,
    names: [...m[2]!.matchAll(/"([^"]+)"/g)].map((n) => n[1]!.replace(/\s+/g, ' ').replace(/…$/, '')),
  }));

  it('cites tests that exist, by file and by name', () => {
    expect(cited.length).toBeGreaterThanOrEqual(15);
    const missing: string[] = [];
    for (const { file, names } of cited) {
      const pattern = new RegExp(`^${file.replace(/\./g, '\\.').replace(/\*/g, '.*')}$`);
      const texts = testFiles.filter((f) => pattern.test(basename(f))).map((f) => readFileSync(f, 'utf8'));
      if (texts.length === 0) missing.push(`no test file ${file}`);
      for (const name of names) if (!texts.some((t) => t.includes(name))) missing.push(`no test "${name}" in ${file}`);
    }
    expect(missing).toEqual([]);
  });
});

describe('docs/emulator.md', () => {
  it('documents every option of `npm run emulator`', () => {
    const cli = readFileSync('src/emulator/cli.ts', 'utf8');
    const options = [...cli.matchAll(/^ {2}'?([a-z][a-z0-9-]*)'?: \{ type: '(?:string|boolean)'/gm)].map((m) => m[1]!);
    expect(options.length).toBeGreaterThanOrEqual(20);
    const doc = readFileSync('docs/emulator.md', 'utf8');
    expect(options.filter((o) => o !== 'help' && !doc.includes(`\`--${o}`))).toEqual([]);
  });
});
