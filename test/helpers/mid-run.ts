/**
 * A CLI sync stopped part-way, deterministically: the emulator's hold gate lets the first `after` detail
 * requests through and keeps the rest waiting; the helper returns once those `after` issues are committed.
 * The sync then holds the lock with its run `running` and nothing more to write until release().
 */
import Database from 'better-sqlite3';
import { createHold, type Hold } from '../../src/emulator/api/hold.js';
import type { Emulator } from '../../src/emulator/start.js';
import { startCli, type CliResult } from './cli.js';
import type { Harness } from './harness.js';
import { waitFor } from './reliability.js';

/** Stored issues whose `data` is the emulator's current version of them (0 while the file or table is missing). */
export function currentVersionsStored(dbPath: string, emu: Emulator): number {
  let db: Database.Database | undefined;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true });
    const rows = db.prepare('SELECT id, data FROM issues').all() as { id: number; data: string }[];
    return rows.filter((r) => JSON.stringify(emu.data.get(r.id)) === r.data).length;
  } catch {
    return 0;
  } finally {
    db?.close();
  }
}

/** Settings for a client whose requests may wait at the gate: a timeout far beyond any hold. */
export const HELD_ENV = { SPEAKUP_TIMEOUT_MS: '120000' };

export interface MidRun {
  hold: Hold;
  /** The CLI sync's pid. */
  pid: number;
  result: Promise<CliResult>;
}

/**
 * Changes every issue, starts `speakup-sync <args>` and returns when exactly `after` changed issues are
 * stored and every other detail request waits at the gate. Release with `hold.release()`.
 */
export async function syncHeldMidRun(
  h: Harness,
  after: number,
  args: string[] = ['sync'],
  env: Record<string, string> = {},
): Promise<MidRun> {
  for (const id of h.emu.data.ids()) h.emu.data.update(id);
  const hold = createHold(['detail'], { after });
  h.emu.knobs.hold = hold;
  // No client timeout while requests wait at the gate (a timed-out request would be retried and counted).
  const { child, result } = startCli(args, { ...h.env, ...HELD_ENV, ...env }, h.dir);
  let exited: CliResult | undefined;
  void result.then((r) => (exited = r));
  const pending = () => (exited ? `the sync exited first (${exited.code}): ${exited.stderr.slice(-800)}` : '');
  await waitFor(
    () => exited !== undefined || (hold.waiting > 0 && currentVersionsStored(h.dbPath, h.emu) >= after),
    `${after} issues stored and a detail request held`,
    30_000,
    20,
  );
  if (exited) throw new Error(pending());
  return { hold, pid: child.pid!, result };
}

/**
 * Lets detail requests through `step` at a time: each advance() lets `step` more pass (and the ones
 * waiting), so a test can watch a run make progress stage by stage. done() opens the gate for good.
 */
export function detailSteps(emu: Emulator, step: number): { advance(): void; done(): void } {
  emu.knobs.hold = createHold(['detail'], { after: step });
  return {
    advance() {
      const old = emu.knobs.hold;
      emu.knobs.hold = createHold(['detail'], { after: step });
      old?.release();
    },
    done() {
      const old = emu.knobs.hold;
      emu.knobs.hold = null;
      old?.release();
    },
  };
}

/** Issues stored (or restored) by the newest run: synced at or after its start. */
export const SYNCED_BY_LAST_RUN_SQL =
  'SELECT count(*) AS n FROM issues WHERE synced_at >= (SELECT started_at FROM sync_runs ORDER BY id DESC LIMIT 1)';
