/**
 * Regenerates the documentation that is derived from code: `.env.example`, the README configuration table
 * (between the `<!-- config:start -->` / `<!-- config:end -->` markers) and docs/data-dictionary.md. `npm run docs`; a test fails when
 * the committed files are stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderDocs } from './docs.js';

for (const [path, text] of Object.entries(renderDocs(readFileSync))) writeFileSync(path, text);
console.log('docs regenerated');
