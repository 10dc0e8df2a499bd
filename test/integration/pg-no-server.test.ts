/**
 * Without a PostgreSQL server the PostgreSQL tests fail, saying how to get one; they never skip.
 * Runs vitest itself on one PostgreSQL test file with no server binaries to be found.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

it('fails the PostgreSQL tests with how to get a server when there is none', () => {
  const empty = mkdtempSync(join(tmpdir(), 'speakup-no-pg-'));
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SPEAKUP_TEST_POSTGRES_BIN: empty,
      NO_COLOR: '1',
      FORCE_COLOR: '0',
    };
    delete env.SPEAKUP_TEST_DATABASE_URL;
    delete env.VITEST;
    delete env.VITEST_WORKER_ID;
    delete env.VITEST_POOL_ID;
    const res = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', 'test/integration/pg-server.test.ts'],
      { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 },
    );
    const out = res.stdout + res.stderr;
    expect(res.status, out).toBe(1);
    expect(out).toContain(
      'PostgreSQL tests need a server: install PostgreSQL (Debian/Ubuntu: apt-get install postgresql)',
    );
    expect(out).toContain('or set SPEAKUP_TEST_DATABASE_URL=postgres://');
    expect(out).toContain(`no initdb in SPEAKUP_TEST_POSTGRES_BIN=${empty}`);
    expect(out).toMatch(/Tests\s+4 failed \(4\)/);
    expect(out).not.toMatch(/skipped/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
