import { mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCheckpointer } from '../../src/db/checkpointer.js';
import { createIssueStore } from '../../src/db/issue-store.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/open.js';
import { toIssueRecord } from '../../src/sync/map-issue.js';

let dir: string;
let h: DatabaseHandle;

const T0 = '2025-06-01T10:00:00.000Z';
const detail = (id: number) => ({
  id,
  updatedAt: T0,
  summary: `Issue ${id}`,
  description: 'x'.repeat(2000),
  forms: [],
});
const autocheckpoint = (): number => h.sqlite.pragma('wal_autocheckpoint', { simple: true }) as number;
const dbBytes = (): number => statSync(h.path).size;

/** Writes `n` issues in batches of 50: a few hundred WAL frames, below SQLite's own 1000-page trigger. */
function write(n: number, firstId = 1): void {
  const store = createIssueStore(h);
  const run = store.startRun({ trigger: 'manual', full: false, startedAt: T0 });
  for (let i = 0; i < n; i += 50) {
    store.saveIssues(
      Array.from({ length: Math.min(50, n - i) }, (_, k) => toIssueRecord(detail(firstId + i + k), T0)),
      run,
    );
  }
}

async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(25);
  }
  return cond();
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'speakup-ckpt-'));
  h = openDatabase(join(dir, 'c.db'));
});
afterEach(() => {
  h.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('background checkpoints', () => {
  it('copies committed frames into the database file from the worker, not from the commit', async () => {
    const before = dbBytes();
    const ckpt = startCheckpointer(h, { intervalMs: 50 });
    expect(autocheckpoint()).toBe(4000);
    write(300);
    // Nothing on this thread checkpoints below 4000 pages: the file grows only if the worker copies frames.
    expect(await until(() => dbBytes() > before + 300 * 2000)).toBe(true);
    await ckpt.stop();
    expect(autocheckpoint()).toBe(1000);
    // Stopping twice is harmless, and the data is all there and sound.
    await ckpt.stop();
    expect(h.sqlite.prepare('SELECT count(*) AS n FROM issues').get()).toEqual({ n: 300 });
    expect(h.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('leaves the database file alone without it (the control for the test above)', () => {
    const before = dbBytes();
    write(300);
    // The commits are all in the WAL; below 1000 pages nothing on this thread copies them over.
    expect(statSync(`${h.path}-wal`).size).toBeGreaterThan(300 * 2000);
    expect(dbBytes()).toBe(before);
  });

  it('readers see every commit while it runs, and the final close still empties the WAL', async () => {
    const ckpt = startCheckpointer(h, { intervalMs: 20 });
    const reader = new Database(h.path, { readonly: true });
    try {
      for (let k = 0; k < 8; k++) {
        const before = dbBytes();
        write(50, 1 + 50 * k);
        expect(reader.prepare('SELECT count(*) AS n FROM issues').get()).toEqual({ n: 50 * (k + 1) });
        // A checkpoint ran between this round's commits and the next: the file grew by what they added.
        expect(await until(() => dbBytes() > before + 50 * 2000), `round ${k}: checkpoint`).toBe(true);
        expect(reader.prepare('SELECT count(*) AS n FROM issues').get()).toEqual({ n: 50 * (k + 1) });
      }
    } finally {
      reader.close();
    }
    await ckpt.stop();
    h.close();
    expect(() => statSync(`${h.path}-wal`)).toThrow();
  });

  it('falls back to checkpointing on commit, with a warning, when the worker cannot open the file', async () => {
    const warnings: string[] = [];
    // The worker opens by path; a file moved away since the handle opened is one it cannot find.
    renameSync(h.path, join(dir, 'moved.db'));
    const ckpt = startCheckpointer(h, { intervalMs: 20, log: { warn: (_f, msg) => warnings.push(msg) } });
    expect(await until(() => warnings.length > 0)).toBe(true);
    expect(warnings[0]).toMatch(/background checkpoints stopped/);
    expect(autocheckpoint()).toBe(1000);
    await ckpt.stop();
    renameSync(join(dir, 'moved.db'), h.path);
  });

  it('is a no-op for an in-memory database', async () => {
    const mem = openDatabase(':memory:');
    try {
      const ckpt = startCheckpointer(mem);
      // No worker, so the writer keeps SQLite's own autocheckpoint (a file database's moves to 4000).
      expect(mem.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      await ckpt.stop();
      expect(mem.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    } finally {
      mem.close();
    }
  });
});
