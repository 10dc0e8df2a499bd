/**
 * A BI tool reads the file while the daemon writes it, and neither waits for the other. The reader is
 * the sqlite3 command line (not this project's code), with SQLite's default busy timeout of 0: any lock
 * conflict would fail at once with "database is locked" instead of hiding as a delay. The writer is the
 * real daemon (a child process) fetching a few hundred details through a slow emulator, committing as
 * it goes. sqlite3 must be installed (.ci/run installs it); the test does not skip without it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';
import { startCli } from '../helpers/cli.js';

const run = promisify(execFile);

/** One read through the sqlite3 CLI: the newest run's status and count, issues stored, an FTS hit count. */
const READ_SQL = `
SELECT (SELECT id || ' ' || status || ' ' || fetched FROM sync_runs ORDER BY id DESC LIMIT 1),
       (SELECT count(*) FROM current_issues),
       (SELECT count(*) FROM issues_fts WHERE issues_fts MATCH 'supplier'),
       (SELECT count(*) FROM issue_fields WHERE label = 'Category');`;

/** A read must come back within this (a fresh sqlite3 process takes a few ms; the bound is generous). */
const READ_BOUND_MS = 3_000;

interface Read {
  ms: number;
  runId: number;
  status: string;
  fetched: number;
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('an external reader (sqlite3 CLI) during a daemon sync', () => {
  it('is never blocked and sees the sync progress commit by commit', async () => {
    const { stdout: version } = await run('sqlite3', ['-version']);
    expect(version).toMatch(/^3\./);

    h = await harness({ issues: 400, seed: 3 });
    expect((await h.sync()).status).toBe('succeeded');
    // Every issue changes and every detail is answered slowly: run 2 refetches 400 details over seconds.
    for (const id of h.emu.data.ids()) h.emu.data.update(id);
    h.emu.knobs.latencyMs = 10;

    const env = { ...h.env, SPEAKUP_CONCURRENCY: '4', SPEAKUP_SCHEDULE: '0 0 1 1 *', SPEAKUP_RUN_AT_START: '1' };
    const daemon = startCli(['daemon'], env, h.dir);
    const reads: Read[] = [];
    const failures: string[] = [];
    const deadline = Date.now() + 60_000;
    try {
      while (Date.now() < deadline && failures.length < 5) {
        const t0 = performance.now();
        try {
          const { stdout, stderr } = await run('sqlite3', ['-readonly', '-bail', '-separator', ' ', h.dbPath, READ_SQL], { timeout: 10_000 });
          const ms = performance.now() - t0;
          if (stderr) failures.push(stderr.trim());
          const [runId, status, fetched] = stdout.trim().split(' ');
          reads.push({ ms, runId: Number(runId), status: status!, fetched: Number(fetched) });
          if (Number(runId) >= 2 && status !== 'running') break;
        } catch (err) {
          failures.push((err as { stderr?: string }).stderr?.trim() || (err as Error).message);
        }
        // A short pause: back-to-back process spawns would starve the 2-core machine and slow the writer.
        await new Promise((r) => setTimeout(r, 40));
      }
    } finally {
      daemon.child.kill('SIGTERM');
    }
    const exit = await daemon.result;

    expect(failures).toEqual([]);
    expect(exit.code).toBe(0);
    const during = reads.filter((r) => r.runId === 2 && r.status === 'running');
    const last = reads[reads.length - 1]!;
    expect(last).toMatchObject({ runId: 2, status: 'succeeded', fetched: 400 });
    // Many reads while run 2 was writing, and they saw its progress grow: reads interleaved with commits.
    expect(during.length).toBeGreaterThanOrEqual(10);
    expect(new Set(during.map((r) => r.fetched)).size).toBeGreaterThanOrEqual(3);
    const slowest = Math.max(...reads.map((r) => r.ms));
    expect(slowest).toBeLessThan(READ_BOUND_MS);
  }, 90_000);
});
