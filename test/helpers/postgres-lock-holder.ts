/**
 * A separate process that takes the PostgreSQL run lock and keeps it until killed: prints one JSON line
 * ({ ok, pid }) once it holds it (or failed to). Usage: node --import tsx postgres-lock-holder.ts URL SCHEMA
 */
import { createPgRunLock } from '../../src/db/postgres/lock.js';

const [url, schema] = process.argv.slice(2) as [string, string];
const lock = createPgRunLock({
  connection: { connectionString: url },
  schema,
  me: { pid: process.pid, host: 'holder-host' },
});
const attempt = await lock.tryAcquire();
process.stdout.write(`${JSON.stringify({ ok: attempt.ok, pid: process.pid })}\n`);
// Stay alive holding the lock until the test kills this process.
setInterval(() => undefined, 60_000);
