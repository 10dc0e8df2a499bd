import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startWriterThread } from '../../src/cli/writer-thread.js';
import { createIssueStore, type IssueStore } from '../../src/db/issue-store.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/open.js';
import type { DetailWriter, FetchedDetail, WriteOutcome } from '../../src/sync/types.js';

let dir: string;
let h: DatabaseHandle;
let store: IssueStore;
let runId: number;

const T0 = '2025-06-01T10:00:00.000Z';
const fetched = (id: number, body: unknown = { id, updatedAt: T0, summary: `Issue ${id}` }): FetchedDetail => ({
  id,
  raw: typeof body === 'string' ? body : JSON.stringify(body),
  path: `/v1/public/issues/${id}`,
  syncedAt: T0,
});
const count = (): number => (h.sqlite.prepare('SELECT count(*) AS n FROM issues').get() as { n: number }).n;

/** A fallback that only records that it was used. */
function recordingFallback(): DetailWriter & { calls: number } {
  const w = {
    calls: 0,
    write: async (details: readonly FetchedDetail[]): Promise<WriteOutcome> => {
      w.calls++;
      return { stored: 0, failures: details.map((d) => ({ issueId: d.id, code: 'TEST', message: 'fallback' })) };
    },
  };
  return w;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'speakup-writer-'));
  h = openDatabase(join(dir, 'w.db'));
  store = createIssueStore(h);
  runId = store.startRun({ trigger: 'manual', full: false, startedAt: T0 });
});
afterEach(() => {
  h.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the writer thread', () => {
  it('parses, maps and stores on its own connection, failing bad details alone', async () => {
    const warnings: string[] = [];
    const fallback = recordingFallback();
    const w = startWriterThread({
      dbPath: h.path,
      autocheckpoint: 4000,
      fallback,
      log: { warn: (_f, m) => warnings.push(m) },
    });
    const out = await w.write(
      [fetched(1), fetched(2, '{"id": 2, "updatedAt": '), fetched(3, { id: 4, updatedAt: T0 }), fetched(5)],
      runId,
    );
    expect(out.stored).toBe(2);
    expect(out.fatal).toBeUndefined();
    expect(out.failures.map((f) => [f.issueId, f.code])).toEqual([
      [2, 'BAD_RESPONSE'],
      [3, 'BAD_RESPONSE'],
    ]);
    expect(out.failures[0]!.message).toContain('[GET] "/v1/public/issues/2": the body is not valid JSON');
    expect(out.failures[1]!.message).toBe('issue 3: the detail returned has id 4');
    // Written by the other connection, visible to this one.
    expect(h.sqlite.prepare('SELECT id, summary FROM issues ORDER BY id').all()).toEqual([
      { id: 1, summary: 'Issue 1' },
      { id: 5, summary: 'Issue 5' },
    ]);
    await w.close();
    expect(fallback.calls).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('answers writes in order and finishes every write asked for before close() returns', async () => {
    const w = startWriterThread({
      dbPath: h.path,
      autocheckpoint: 4000,
      fallback: recordingFallback(),
      log: { warn: () => {} },
    });
    const outs = Array.from({ length: 20 }, (_, k) =>
      w.write(
        Array.from({ length: 50 }, (_, i) => fetched(1 + k * 50 + i)),
        runId,
      ),
    );
    await w.close();
    expect((await Promise.all(outs)).map((o) => o.stored)).toEqual(Array(20).fill(50));
    expect(count()).toBe(1000);
  });

  it('hands the writes to the fallback, with a warning, when the thread cannot open the database', async () => {
    const warnings: string[] = [];
    const fallback = recordingFallback();
    const w = startWriterThread({
      dbPath: join(dir, 'no-such-dir', 'x.db'),
      autocheckpoint: 4000,
      fallback,
      log: { warn: (_f, m) => warnings.push(m) },
    });
    const out = await w.write([fetched(1)], runId);
    expect(out.failures).toEqual([{ issueId: 1, code: 'TEST', message: 'fallback' }]);
    expect(fallback.calls).toBe(1);
    expect(warnings).toEqual(['the writer thread did not start; writing on the main thread']);
    await w.close();
  });
});
