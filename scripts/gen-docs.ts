/**
 * Regenerates the documentation that is derived from code: `.env.example`, the variables table of
 * docs/configuration.md (between the `<!-- config:start -->` / `<!-- config:end -->` markers) and
 * docs/data-dictionary.md. `npm run docs`; test/unit/docs.test.ts fails when a committed file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderDocs } from './docs.js';

for (const [path, text] of Object.entries(renderDocs(readFileSync))) writeFileSync(path, text);
console.log('docs regenerated');
