/** What `npm run docs` writes, as path → text, so a test can compare without writing. */
import { renderConfigTable, renderEnvExample } from '../src/config/env-example.js';
import { renderDataDictionary } from './data-dictionary.js';

type Read = (path: string, enc: 'utf8') => string;

export function replaceBetween(text: string, marker: string, body: string): string {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`markers ${start} … ${end} missing`);
  return `${text.slice(0, a + start.length)}\n${body}\n${text.slice(b)}`;
}

export function renderDocs(read: Read): Record<string, string> {
  return {
    '.env.example': renderEnvExample(),
    'docs/configuration.md': replaceBetween(read('docs/configuration.md', 'utf8'), 'config', renderConfigTable()),
    'docs/data-dictionary.md': renderDataDictionary(),
  };
}
