/**
 * How `speakup-sync sync` starts: its login is sent while it loads its modules and opens the database,
 * not after; and a database that cannot be opened still ends the run with one line and no API request.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';
import { lastLine, runCli, startCli } from '../helpers/cli.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const logins = (x: Harness): number => x.emu.cognito.counters.operations['InitiateAuth:USER_SRP_AUTH'] ?? 0;

describe('speakup-sync sync start-up', () => {
  it('sends its login before the run has started, and completes the run with it', async () => {
    h = await harness({ issues: 30 });
    // Slow answers keep the login under way while the rest of the start-up happens.
    h.emu.cognito.knobs.latencyMs = 1000;
    const x = h;
    // A login timeout well above those answers: one login attempt, however loaded the machine.
    const { child, result } = startCli(['sync'], { ...x.env, SPEAKUP_TIMEOUT_MS: '60000' }, x.dir);
    const atRunStart = new Promise<{ logins: number; apiRequests: number }>((resolve) => {
      let text = '';
      child.stderr!.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('"msg":"sync started"')) resolve({ logins: logins(x), apiRequests: x.emu.counters.total() });
      });
    });
    const seen = await atRunStart;
    expect(seen).toEqual({ logins: 1, apiRequests: 0 });
    const r = await result;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sync succeeded \(run 1\): 30 listed, 30 fetched/);
    expect(logins(x)).toBe(1);
  });

  it('a database that cannot be opened: one line naming it and the fix, exit 1, no request to the API', async () => {
    h = await harness({ issues: 10 });
    const notADb = join(h.dir, 'not-a-db.db');
    writeFileSync(notADb, 'this is not an SQLite database, just text long enough to have a header page'.repeat(20));
    const r = await runCli(['sync'], { ...h.env, SPEAKUP_DB: notADb }, h.dir);
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(
      /^speakup-sync: cannot open database ".*not-a-db\.db": .*; it is not a SQLite database: move it away or set SPEAKUP_DB to another file$/,
    );
    expect(h.emu.counters.total()).toBe(0);
  });
});
