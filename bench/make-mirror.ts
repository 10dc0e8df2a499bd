/**
 * Builds an SQLite mirror of N issues for the copy benchmark, through the store the sync uses: every
 * issue written, then every issue changed (so history rows exist), two runs in the run log.
 * Usage: npx tsx bench/make-mirror.ts PATH [issues=100000]
 */
import { createIssueStore } from '../src/db/issue-store.js';
import { openDatabase } from '../src/db/open.js';
import { writeDetails } from '../src/sync/detail-writer.js';
import { wireDetails } from './fixture-details.js';

const [path, nArg] = process.argv.slice(2);
if (!path) throw new Error('usage: npx tsx bench/make-mirror.ts PATH [issues]');
const N = Number(nArg ?? 100_000);
const BATCH = 500;
const handle = openDatabase(path);
const store = createIssueStore(handle);
try {
  for (const version of [1, 2]) {
    const at = new Date().toISOString();
    const runId = store.startRun({ trigger: 'manual', full: version === 1, startedAt: at });
    const texts = wireDetails(N, version);
    for (let i = 0; i < N; i += BATCH) {
      const batch = texts
        .slice(i, i + BATCH)
        .map((raw, k) => ({ id: i + k + 1, raw, path: `/v1/public/issues/${i + k + 1}`, syncedAt: at }));
      const out = writeDetails(store, batch, runId);
      if (out.stored !== batch.length) throw new Error(JSON.stringify(out).slice(0, 300));
    }
    store.finishRun(runId, {
      status: 'succeeded',
      finishedAt: new Date().toISOString(),
      counts: { listed: N, fetched: N },
    });
  }
  console.log(`mirror of ${N} issues written to ${path}`);
} finally {
  handle.close();
}
