/**
 * The naive baseline the SpeakUp manual implies, run as its own process by the benchmark (scenario 7):
 * log in with amazon-cognito-identity-js, list every page, then fetch each detail one at a time and
 * INSERT it with better-sqlite3 in autocommit mode (SQLite's defaults: rollback journal, synchronous=FULL).
 * `--list-only` times just the listing (the reference cost of an unchanged re-sync, scenario 3).
 *
 * Usage: node --import tsx bench/naive.ts --db FILE [--limit N] [--list-only] [--page-size N]
 * Reads SPEAKUP_* like the sync; prints one JSON line of timings on stdout.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { login } from './cognito-login.js';

/** The timings naive.ts prints (ms, from its own start after module loading). */
export interface NaiveResult {
  /** Process uptime when the script body began: node, tsx and module loading. */
  startupMs: number;
  loginMs: number;
  listMs: number;
  pages: number;
  listed: number;
  details: number;
  /** Time in detail requests and in INSERTs, summed over the detail loop. */
  fetchMs: number;
  insertMs: number;
  detailLoopMs: number;
  totalMs: number;
}

async function main(): Promise<void> {
  const startupMs = performance.now();
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      limit: { type: 'string' },
      'list-only': { type: 'boolean' },
      'page-size': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || values.db === undefined) {
    process.stdout.write(
      'Usage: node --import tsx bench/naive.ts --db FILE [--limit N] [--list-only] [--page-size N]\n',
    );
    return;
  }
  // A bench script's own boundary: it takes the emulator's SPEAKUP_* from the environment the harness sets.
  const env = process.env;
  const base = (env.SPEAKUP_API_URL ?? '').replace(/\/+$/, '');
  const limit = values.limit === undefined ? Infinity : Number(values.limit);
  const pageSize = Number(values['page-size'] ?? 500);

  const t0 = performance.now();
  const token = await login(env);
  const headers = {
    authorization: `Bearer ${token}`,
    [env.SPEAKUP_CLIENT_HEADER ?? 'client']: env.SPEAKUP_CLIENT_SYSTEM ?? '',
  };
  const get = async (path: string): Promise<unknown> => {
    const res = await fetch(`${base}/${path}`, { headers });
    if (!res.ok) throw new Error(`GET /${path}: ${res.status}`);
    return res.json();
  };
  const t1 = performance.now();

  // The manual's "Get All Issues", paged as speakup-api.md assumes: until an empty page.
  const ids: number[] = [];
  let pages = 0;
  for (let page = 1; ; page++) {
    const items = (await get(`v1/public/issues?page=${page}&pageSize=${pageSize}`)) as Array<{ id: number }>;
    pages++;
    if (items.length === 0) break;
    for (const it of items) ids.push(it.id);
  }
  const t2 = performance.now();

  let fetchMs = 0;
  let insertMs = 0;
  let details = 0;
  if (!values['list-only']) {
    const db = new Database(values.db);
    db.exec(
      'CREATE TABLE IF NOT EXISTS issues (id INTEGER PRIMARY KEY, custom_id TEXT, summary TEXT, status TEXT, created_at TEXT, updated_at TEXT, data TEXT)',
    );
    const insert = db.prepare(
      'INSERT OR REPLACE INTO issues (id, custom_id, summary, status, created_at, updated_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (const id of ids.slice(0, Math.min(limit, ids.length))) {
      const a = performance.now();
      const d = (await get(`v1/public/issues/${id}`)) as Record<string, unknown>;
      const b = performance.now();
      insert.run(
        id,
        str(d.customId),
        str(d.summary),
        str(d.status),
        str(d.createdAt),
        str(d.updatedAt),
        JSON.stringify(d),
      );
      insertMs += performance.now() - b;
      fetchMs += b - a;
      details++;
    }
    db.close();
  }
  const t3 = performance.now();
  const result: NaiveResult = {
    startupMs,
    loginMs: t1 - t0,
    listMs: t2 - t1,
    pages,
    listed: ids.length,
    details,
    fetchMs,
    insertMs,
    detailLoopMs: t3 - t2,
    totalMs: t3 - t0,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

// The Cognito library's keep-alive sockets would hold the process open: exit once the work is done.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`naive: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
