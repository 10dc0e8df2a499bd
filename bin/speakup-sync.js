#!/usr/bin/env node
// Entry for `npx speakup-sync` and the npm scripts. Runs the compiled JavaScript in dist/ (built by
// `npm ci` through the `prepare` script: starts in a fraction of the time), unless a source file is newer
// than the build, in which case it runs the TypeScript sources through tsx so an edit is never ignored.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli', 'main.js');
const stamp = join(root, 'dist', '.build-stamp');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const fresh = existsSync(built) && existsSync(stamp) && statSync(stamp).mtimeMs >= newestMtime(join(root, 'src'));
if (fresh) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}
