import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderDocs } from '../../scripts/docs.js';

describe('generated documentation', () => {
  it.each(Object.entries(renderDocs(readFileSync)))('%s is up to date (run `npm run docs`)', (path, expected) => {
    expect(readFileSync(path, 'utf8')).toBe(expected);
  });
});
