/**
 * A BI tool reads the file while the daemon writes it, and neither waits for the other. The reader is
 * the sqlite3 command line (not this project's code), with SQLite's default busy timeout of 0: any lock
 * conflict would fail at once with "database is locked" instead of hiding as a delay. The writer is the
 * real daemon (a child process) refetching a few hundred details, committing as it goes. The emulator
 * lets the details through a hundred at a time, so the reader is sure to see the run at several stages.
 * sqlite3 must be installed (.ci/run installs it): without it the test fails saying how to install it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';
import { startCli } from '../helpers/cli.js';
import { detailSteps, HELD_ENV, SYNCED_BY_LAST_RUN_SQL } from '../helpers/mid-run.js';
import { requireTool } from '../helpers/tools.js';

const run = promisify(execFile);

/** One read through the sqlite3 CLI: the newest run, issues it stored so far, issues, an FTS and a field count. */
const READ_SQL = `
SELECT (SELECT id || ' ' || status FROM sync_runs ORDER BY id DESC LIMIT 1),
       (${SYNCED_BY_LAST_RUN_SQL.replace(' AS n', '')}),
       (SELECT count(*) FROM current_issues),
       (SELECT count(*) FROM issues_fts WHERE issues_fts MATCH 'supplier'),
       (SELECT count(*) FROM issue_fields WHERE label = 'Category');`;

interface Read {
  runId: number;
  status: string;
  stored: number;
  issues: number;
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('an external reader (sqlite3 CLI) during a daemon sync', () => {
  it('is never blocked and sees the sync progress commit by commit', async () => {
    expect(requireTool('sqlite3')).toMatch(/^3\./);

    h = await harness({ issues: 400, seed: 3 });
    expect((await h.sync()).status).toBe('succeeded');
    // Every issue changes: run 2 refetches 400 details, a hundred at a time.
    for (const id of h.emu.data.ids()) h.emu.data.update(id);
    const steps = detailSteps(h.emu, 100);

    const env = {
      ...h.env,
      ...HELD_ENV,
      SPEAKUP_CONCURRENCY: '4',
      SPEAKUP_SCHEDULE: '0 0 1 1 *',
      SPEAKUP_RUN_AT_START: '1',
    };
    const daemon = startCli(['daemon'], env, h.dir);
    const reads: Read[] = [];
    const failures: string[] = [];
    const x = h;
    /** Reads with the sqlite3 CLI until `cond` holds for the last read; a generous deadline only catches hangs. */
    const readUntil = async (cond: (r: Read) => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (failures.length > 0) throw new Error(`sqlite3 failed: ${failures.join(' | ')}`);
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${what}; last read ${JSON.stringify(reads.at(-1))}`);
        try {
          const { stdout, stderr } = await run(
            'sqlite3',
            ['-readonly', '-bail', '-separator', ' ', x.dbPath, READ_SQL],
            { timeout: 30_000 },
          );
          if (stderr) failures.push(stderr.trim());
          const [runId, status, stored, issues] = stdout.trim().split(' ');
          const r = { runId: Number(runId), status: status!, stored: Number(stored), issues: Number(issues) };
          reads.push(r);
          if (cond(r)) return;
        } catch (err) {
          failures.push((err as { stderr?: string }).stderr?.trim() || (err as Error).message);
        }
      }
    };
    try {
      for (const stage of [100, 200, 300]) {
        await readUntil(
          (r) => r.runId === 2 && r.status === 'running' && r.stored >= stage,
          `run 2 to store ${stage} issues`,
        );
        steps.advance();
      }
      steps.done();
      await readUntil((r) => r.runId === 2 && r.status !== 'running', 'run 2 to finish');
    } finally {
      steps.done();
      daemon.child.kill('SIGTERM');
    }
    const exit = await daemon.result;

    expect(failures).toEqual([]);
    expect(exit.code, exit.stderr).toBe(0);
    expect(reads.at(-1)).toMatchObject({ runId: 2, status: 'succeeded', stored: 400, issues: 400 });
    // Reads while run 2 was writing saw it at three stages at least, every one of them a whole mirror.
    const during = reads.filter((r) => r.runId === 2 && r.status === 'running');
    expect(new Set(during.map((r) => r.stored)).size).toBeGreaterThanOrEqual(3);
    expect(during.every((r) => r.issues === 400)).toBe(true);
  }, 120_000);
});
