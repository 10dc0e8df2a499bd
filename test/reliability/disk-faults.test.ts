/**
 * Faults of the disk: the mirror lives on a small tmpfs of its own, which fills up during a run
 * (SQLITE_FULL) or is remounted read-only in the middle of one. The run must end `failed` with a one-line
 * error naming the cause, delete nothing, and leave a file that the next run completes once there is
 * room again. Mounting needs root (CI runs as root); without it the test fails and says so.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lastLine, runCli, startCli } from '../helpers/cli.js';
import { harness, mirrorDiff, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/reliability.js';

let h: Harness | undefined;
let mountPoint: string | undefined;

afterEach(async () => {
  if (mountPoint) execFileSync('umount', ['-l', mountPoint]);
  mountPoint = undefined;
  await h?.close();
  h = undefined;
});

/** A tmpfs of `size` at `dir`: a disk of its own that the test can fill or make read-only. */
function mountSmallDisk(dir: string, size: string): string {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the disk-fault tests mount a small tmpfs and need root: run the suite as root (CI does) or in a container with CAP_SYS_ADMIN',
    );
  }
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]);
  mountPoint = dir;
  return dir;
}

const remount = (dir: string, options: string) => execFileSync('mount', ['-o', `remount,${options}`, dir]);

function lastRun(h: Harness): { status: string; error: string | null; deleted: number } {
  const db = h.read();
  try {
    return db.prepare('SELECT status, error, deleted FROM sync_runs ORDER BY id DESC LIMIT 1').get() as {
      status: string;
      error: string | null;
      deleted: number;
    };
  } finally {
    db.close();
  }
}

const deletedCount = (h: Harness): number => {
  const db = h.read();
  try {
    return db.prepare('SELECT count(*) FROM issues WHERE deleted_at IS NOT NULL').pluck().get() as number;
  } finally {
    db.close();
  }
};

describe('a disk that fills up during a run', () => {
  it(
    'fails the run with one line naming the full disk, deletes nothing, and the next run completes once there is room',
    { timeout: 120_000 },
    async () => {
      h = await harness({ issues: 400, seed: 31 });
      const disk = mountSmallDisk(dirname(h.dbPath), '3m');
      const env = h.env;

      const full = await runCli(['sync'], env, h.dir);
      expect(full.code, full.stderr).toBe(1);
      expect(lastLine(full.stderr)).toMatch(/disk.*full|SQLITE_FULL/i);
      expect(lastLine(full.stderr)).toMatch(/free (disk )?space/i);
      // The run records its end when the WAL, folded into the file, leaves room for that one write; when
      // not even that fits, the row stays `running` and the next run marks it interrupted.
      const failed = lastRun(h);
      expect(failed.deleted).toBe(0);
      if (failed.status === 'failed') expect(failed.error).toMatch(/disk holding the database is full/);
      else expect(failed.status).toBe('running');

      remount(disk, 'size=256m');
      const next = await runCli(['sync'], env, h.dir);
      expect(next.code, next.stderr).toBe(0);
      expect(mirrorDiff(h)).toEqual({ missing: [], extra: [], different: [] });
      expect(deletedCount(h)).toBe(0);
      const db = h.read();
      const statuses = db.prepare('SELECT status FROM sync_runs ORDER BY id').pluck().all();
      db.close();
      expect(statuses).toEqual([failed.status === 'failed' ? 'failed' : 'interrupted', 'succeeded']);
    },
  );
});

describe('a disk that turns read-only during a run', () => {
  it(
    'fails the run with one line naming the failing disk, deletes nothing, and the next run completes once it is writable',
    { timeout: 120_000 },
    async () => {
      h = await harness({ issues: 300, seed: 32, knobs: { latencyMs: 20 } }, { SPEAKUP_CONCURRENCY: '2' });
      // An ext4 file system on a loop device: the kernel turns it read-only on an error, open files and all,
      // as it does for a failing disk (errors=remount-ro).
      const image = join(h.dir, 'disk.img');
      const disk = dirname(h.dbPath);
      mountExt4(image, disk);
      const first = await runCli(['sync'], h.env, h.dir);
      expect(first.code, first.stderr).toBe(0);
      for (const id of h.emu.data.ids()) h.emu.data.update(id);

      const run = startCli(['sync'], h.env, h.dir);
      await waitFor(() => h!.emu.counters.requests.detail >= 400, 'the run to fetch 100 changed issues', 30_000);
      const device = execFileSync('findmnt', ['-n', '-o', 'SOURCE', disk], { encoding: 'utf8' }).trim();
      writeFileSync(`/sys/fs/ext4/${basename(device)}/trigger_fs_error`, '1');
      const result = await run.result;
      expect(result.code, result.stderr).toBe(1);
      expect(lastLine(result.stderr)).toMatch(/read-only|I\/O error/i);
      expect(lastLine(result.stderr)).toMatch(/check the disk/i);

      execFileSync('umount', [disk]);
      mountPoint = undefined;
      // e2fsck exits 1 when it repaired something: the error the kernel recorded.
      try {
        execFileSync('e2fsck', ['-fy', image], { stdio: 'ignore' });
      } catch (err) {
        if ((err as { status?: number }).status !== 1) throw err;
      }
      mountExt4(image, disk, false);
      // The failed run could not record its end on a read-only disk: the next run finds it `running` and
      // marks it interrupted.
      const next = await runCli(['sync'], h.env, h.dir);
      expect(next.code, next.stderr).toBe(0);
      expect(mirrorDiff(h)).toEqual({ missing: [], extra: [], different: [] });
      expect(deletedCount(h)).toBe(0);
      expect(lastRun(h).status).toBe('succeeded');
      const db = h.read();
      const statuses = db.prepare('SELECT status FROM sync_runs ORDER BY id').pluck().all();
      db.close();
      expect(statuses).toEqual(['succeeded', 'interrupted', 'succeeded']);
    },
  );
});

function mountExt4(image: string, dir: string, create = true): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the disk-fault tests mount a loop device and need root: run the suite as root (CI does) or in a container with CAP_SYS_ADMIN',
    );
  }
  if (create) {
    execFileSync('truncate', ['-s', '64M', image]);
    execFileSync('mkfs.ext4', ['-q', '-F', image]);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  execFileSync('mount', ['-o', 'loop,errors=remount-ro', image, dir]);
  mountPoint = dir;
}
