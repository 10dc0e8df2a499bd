// `npm run build`: bundle the CLI and its worker threads from src/ into dist/ with esbuild, and stamp the
// build, so bin/speakup-sync.js can tell a fresh build from a stale one. A handful of files start far
// faster than the hundreds an unbundled tree (and its ESM dependencies) would make Node resolve and read.
// Type checking is not the build's job: `npm run typecheck` (part of `npm test`).
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, relative } from 'node:path';
import { readFile } from 'node:fs/promises';

const require = createRequire(import.meta.url);
let esbuild;
try {
  esbuild = require('esbuild');
} catch {
  // An install without dev dependencies: bin/speakup-sync.js then runs the sources through tsx.
  console.warn('speakup-sync: esbuild is not installed, skipping the build (the sources run through tsx)');
  process.exit(0);
}

// The CLI and the worker modules, each at the path the code resolves it by (db/worker.ts finds a worker
// next to the module that starts it): entries keep their place under dist/.
const MAIN = 'src/cli/main.ts';
const WORKERS = ['src/cli/writer-worker.ts', 'src/db/checkpoint-worker.ts'];

// Bundled, with their own dependencies: packages of many small files, which cost most to load one by
// one. Every other package stays a plain import: native code (better-sqlite3), packages that load their
// own files at run time (aws-amplify, pino-pretty, node-cron's background tasks), one only the PostgreSQL
// commands need (pg) and one that only re-exports the global fetch (isomorphic-unfetch).
const BUNDLED = new Set(['zod', 'drizzle-orm', 'p-retry', 'is-network-error', 'pino', 'amazon-cognito-identity-js']);

// Never bundled, whoever imports them (drizzle-orm's drivers import better-sqlite3 and pg).
const EXTERNAL = new Set(['better-sqlite3', 'pg', 'aws-amplify', 'pino-pretty', 'isomorphic-unfetch']);
// The Cognito library's big integers stay one shared module: src/auth/srp-openssl.ts patches that instance.
const SHARED = 'amazon-cognito-identity-js/lib/BigInteger.js';

const packageOf = (specifier) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];

/**
 * Packages in BUNDLED, and whatever bundled package code imports, are bundled; the rest is left to Node
 * to resolve at run time, as without a bundle.
 */
const externals = {
  name: 'externals',
  setup(build) {
    build.onResolve({ filter: /^\.\/BigInteger(\.js)?$/ }, (args) =>
      /amazon-cognito-identity-js[/\\]lib[/\\]/.test(args.importer) ? { path: SHARED, external: true } : undefined,
    );
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path === SHARED) return { external: true };
      if (args.path.startsWith('node:') || EXTERNAL.has(packageOf(args.path))) return { external: true };
      if (BUNDLED.has(packageOf(args.path)) || /[/\\]node_modules[/\\]/.test(args.importer)) return undefined;
      return { external: true };
    });
  },
};

/**
 * Every output file lies one folder under dist/ (entries in their own folder, shared chunks in
 * dist/chunks/). A module's `import.meta.url` is rewritten to the URL its own compiled file would have
 * had (dist/db/open.js), so paths the code resolves from it (migrations, worker entries, bin/) stay right.
 */
const moduleUrls = {
  name: 'module-urls',
  setup(build) {
    build.onLoad({ filter: /[/\\]src[/\\].*\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const own = relative('src', args.path).replace(/\\/g, '/').replace(/\.ts$/, '.js');
      const url = `new URL(${JSON.stringify(`../${own}`)}, import.meta.url).href`;
      return { contents: source.replaceAll('import.meta.url', url), loader: 'ts', resolveDir: dirname(args.path) };
    });
  },
};

const common = {
  outbase: 'src',
  outdir: 'dist',
  entryNames: '[dir]/[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // Bundled CommonJS code (pino) requires Node's modules: ESM has no `require` of its own.
  banner: {
    js: "import { createRequire as __speakupRequire } from 'node:module';\nconst require = __speakupRequire(import.meta.url);",
  },
  plugins: [externals, moduleUrls],
};

rmSync('dist', { recursive: true, force: true });
// The CLI: each command's modules in chunks loaded on demand (`status` does not load the HTTP client).
await esbuild.build({ ...common, entryPoints: [MAIN], splitting: true });
// Each worker in one file of its own: a thread starts by reading one file, and the CLI's chunks are not
// cut finer to share code with it.
await esbuild.build({ ...common, entryPoints: WORKERS });
writeFileSync('dist/.build-stamp', `${new Date().toISOString()}\n`);
