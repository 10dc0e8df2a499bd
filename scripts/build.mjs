// `npm run build`: compile src/ to dist/ and stamp the build, so bin/speakup-sync.js can tell a fresh
// build from a stale one.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  // An install without dev dependencies: bin/speakup-sync.js then runs the sources through tsx.
  console.warn('speakup-sync: typescript is not installed, skipping the build (the sources run through tsx)');
  process.exit(0);
}
rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
writeFileSync('dist/.build-stamp', `${new Date().toISOString()}\n`);
