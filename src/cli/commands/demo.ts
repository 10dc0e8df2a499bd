/**
 * `npm run demo`: no credentials needed. Starts the bundled emulator on free loopback ports, syncs it into
 * ./data/demo.db with the real code path (SRP login, paging, details, upsert), prints the run summary and
 * a few example queries with their results.
 */
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { loadConfig } from '../../config/load.js';
import { startEmulator } from '../../emulator/start.js';
import { renderTable } from '../../format.js';
import { EXIT } from '../exit-codes.js';
import { syncCommand } from './sync.js';

export interface DemoArgs {
  issues: number;
  dbPath?: string;
}

export const DEMO_QUERIES: ReadonlyArray<{ title: string; sql: string }> = [
  {
    title: 'Open issues by domain and status',
    sql: `SELECT domain_name, status, count(*) AS issues
FROM current_issues WHERE closed_at IS NULL
GROUP BY domain_name, status ORDER BY issues DESC LIMIT 8`,
  },
  {
    title: 'Intake per month and channel (last 6 months with data)',
    sql: `SELECT strftime('%Y-%m', received_at) AS month, channel, count(*) AS received
FROM current_issues GROUP BY month, channel ORDER BY month DESC, received DESC LIMIT 8`,
  },
  {
    title: 'Latest runs',
    sql: `SELECT id, status, listed, fetched, unchanged, deleted, failed, duration_seconds FROM latest_runs LIMIT 3`,
  },
];

export async function demoCommand(log: Logger, args: DemoArgs, signal: AbortSignal): Promise<number> {
  const emu = await startEmulator({ issues: args.issues });
  const dbPath = args.dbPath ?? './data/demo.db';
  try {
    process.stdout.write(
      `Emulator: API ${emu.apiUrl}, IdP ${emu.cognitoEndpoint} (${args.issues} issues, loopback only)\n`,
    );
    const config = loadConfig({ ...emu.env(), SPEAKUP_DB: dbPath, SPEAKUP_LOG_LEVEL: 'warn' }, { dotenv: false });
    const code = await syncCommand(
      config,
      log,
      { full: false, allowMassDelete: false, wait: true, quiet: false },
      signal,
    );
    if (code !== EXIT.OK) return code;
    const db = new Database(config.dbPath, { readonly: true });
    try {
      for (const q of DEMO_QUERIES) {
        process.stdout.write(`\n-- ${q.title}\n${q.sql};\n`);
        process.stdout.write(`${renderTable(db.prepare(q.sql).all() as Record<string, unknown>[])}\n`);
      }
    } finally {
      db.close();
    }
    process.stdout.write(
      `\nThe mirror is in ${config.dbPath}. Open it with sqlite3, Datasette or any BI tool (see docs/bi.md).\n`,
    );
    return EXIT.OK;
  } finally {
    await emu.close();
  }
}
