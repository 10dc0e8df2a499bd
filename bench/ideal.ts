/**
 * Calibration client (scenario 0): the least a client can do to sync — list pages sequentially while C
 * workers fetch details over keep-alive node:http, JSON.parse each body, store nothing. What it achieves
 * against the bound is the ceiling this machine and emulator allow; the sync is judged against it too.
 *
 * Usage: node --import tsx bench/ideal.ts --concurrency C [--page-size N]   (SPEAKUP_* from the environment)
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { login } from './cognito-login.js';

/** The timings ideal.ts prints (ms). */
export interface IdealResult {
  startupMs: number;
  loginMs: number;
  /** First list request → last detail answer. */
  apiMs: number;
  listed: number;
  details: number;
}

async function main(): Promise<void> {
  const startupMs = performance.now();
  const { values } = parseArgs({ options: { concurrency: { type: 'string' }, 'page-size': { type: 'string' } } });
  const concurrency = Number(values.concurrency ?? 16);
  const pageSize = Number(values['page-size'] ?? 500);
  // A bench script's own boundary: it takes the emulator's SPEAKUP_* from the environment the harness sets.
  const env = process.env;
  const base = new URL(env.SPEAKUP_API_URL ?? '');
  const prefix = base.pathname.replace(/\/+$/, '');
  const t0 = performance.now();
  const token = await login(env);
  const headers = {
    authorization: `Bearer ${token}`,
    [env.SPEAKUP_CLIENT_HEADER ?? 'client']: env.SPEAKUP_CLIENT_SYSTEM ?? '',
  };
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency + 1 });
  const get = (path: string): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const req = http.get(
        { host: base.hostname, port: base.port, path: `${prefix}/${path}`, headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
              : reject(new Error(`GET ${path}: ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
    });
  const t1 = performance.now();

  const queue: number[] = [];
  let listing = true;
  const waiters: Array<() => void> = [];
  const notify = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  let details = 0;
  let listed = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const id = queue.shift();
      if (id === undefined) {
        if (!listing) return;
        await new Promise<void>((resolve) => waiters.push(resolve));
        continue;
      }
      await get(`v1/public/issues/${id}`);
      details++;
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  for (let page = 1; ; page++) {
    const items = (await get(`v1/public/issues?page=${page}&pageSize=${pageSize}`)) as Array<{ id: number }>;
    if (items.length === 0) break;
    for (const it of items) queue.push(it.id);
    listed += items.length;
    notify();
  }
  listing = false;
  notify();
  await Promise.all(workers);
  const result: IdealResult = { startupMs, loginMs: t1 - t0, apiMs: performance.now() - t1, listed, details };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`ideal: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
