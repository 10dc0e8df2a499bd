/**
 * Scenario "m": the sync against each limiter model of the emulator (token buckets of several bursts,
 * fixed and sliding windows, every Retry-After form, with and without rate headers, a limit shared with
 * another client, a limit that halves and doubles back), with default settings. Per model: the detail
 * rate the server accepted against the limit, the share of 429s, and the wall time against N/R. The
 * emulator runs in this process, so every answer's time is on record for the halving and doubling figures.
 */
import { join } from 'node:path';
import type { RetryAfterMode } from '../src/emulator/api/knobs.js';
import type { LimiterSpec } from '../src/emulator/api/limiters.js';
import { startEmulator } from '../src/emulator/start.js';
import { runSyncProcess } from './sync-process.js';
import type { RunContext } from './types.js';

/**
 * One model of the matrix; `seconds` of requests at the limit make its N. Runs are long enough (RUN_S)
 * for the start-up (the first guess of the limit and its fast probe) to weigh as it would in a sync of
 * some minutes, not half the figure; the start-up is still counted in it.
 */
interface Model {
  name: string;
  limit: LimiterSpec;
  retryAfter: RetryAfterMode;
  seconds: number;
}

const HALVE_AT_S = 10;
const DOUBLE_AT_S = 25;
const RUN_S = 20;

export const MODELS: Model[] = [
  {
    name: 'token bucket 50/s, burst 50, no Retry-After',
    limit: { rps: 50, burst: 50 },
    retryAfter: 'none',
    seconds: RUN_S,
  },
  {
    name: 'token bucket 50/s, burst 10, Retry-After seconds',
    limit: { rps: 50, burst: 10 },
    retryAfter: 'seconds',
    seconds: RUN_S,
  },
  {
    name: 'token bucket 50/s, burst 5, no Retry-After',
    limit: { rps: 50, burst: 5 },
    retryAfter: 'none',
    seconds: RUN_S,
  },
  {
    name: 'token bucket 20/s, burst 1, Retry-After seconds',
    limit: { rps: 20, burst: 1 },
    retryAfter: 'seconds',
    seconds: RUN_S,
  },
  {
    name: 'fixed 1 s window, 50, Retry-After HTTP-date',
    limit: { rps: 50, burst: 50, kind: 'fixed-window' },
    retryAfter: 'http-date',
    seconds: RUN_S,
  },
  {
    name: 'fixed 10 s window, 500, Retry-After seconds',
    limit: { rps: 50, burst: 50, kind: 'fixed-window', windowMs: 10_000 },
    retryAfter: 'seconds',
    seconds: 2 * RUN_S,
  },
  {
    name: 'sliding log 50 per 1 s, Retry-After fractional',
    limit: { rps: 50, burst: 50, kind: 'sliding-log' },
    retryAfter: 'fractional',
    seconds: RUN_S,
  },
  {
    name: 'token bucket 50/s, burst 10, RateLimit-Policy',
    limit: { rps: 50, burst: 10, headers: 'ietf' },
    retryAfter: 'seconds',
    seconds: RUN_S,
  },
  {
    name: 'token bucket 50/s, burst 10, no headers at all',
    limit: { rps: 50, burst: 10, headers: 'none' },
    retryAfter: 'none',
    seconds: RUN_S,
  },
  {
    name: 'token bucket 50/s, burst 10, 40% used by another client',
    limit: { rps: 50, burst: 10, sharedShare: 0.4 },
    retryAfter: 'seconds',
    seconds: RUN_S,
  },
  {
    name: `token bucket 50/s, burst 10, halves at ${HALVE_AT_S} s, back at ${DOUBLE_AT_S} s`,
    limit: {
      rps: 50,
      burst: 10,
      changes: [
        { afterMs: HALVE_AT_S * 1000, factor: 0.5 },
        { afterMs: DOUBLE_AT_S * 1000, factor: 1 },
      ],
    },
    retryAfter: 'seconds',
    seconds: 40,
  },
];

/** One row of the matrix table. */
export interface MatrixRow {
  model: string;
  n: number;
  /** The limit this client could use, averaged over the detail window (requests/s). */
  limitRps: number;
  /** Details accepted per second of the detail window, over limitRps. */
  rateShare: number | null;
  share429: number;
  wallMs: number;
  /** N / average limit, ms. */
  idealMs: number;
  status: string;
  /** Answers per second from the first one: accepted (200) and refused (429), for the log. */
  timeline: { accepted: number[]; refused: number[] };
  /** Halving model only: seconds from the halving until the accepted rate stays under the new limit, and from the doubling back to 0.9 of it. */
  underAfterHalvingS?: number | null;
  backAfterDoublingS?: number | null;
}

/** The limit available to this client at `t` ms after the first request. */
function limitAt(m: Model, t: number): number {
  let f = 1;
  for (const c of m.limit.changes ?? []) if (t >= c.afterMs) f = c.factor;
  return m.limit.rps * f * (1 - (m.limit.sharedShare ?? 0));
}

/** Details needed for `seconds` at the limit (the schedule's limit, second by second). */
function detailsFor(m: Model): number {
  let n = 0;
  for (let t = 0; t < m.seconds * 1000; t += 1000) n += limitAt(m, t);
  return Math.round(n);
}

/** Runs the sync against one model and reads the emulator's record of every answer. */
async function runModel(ctx: RunContext, m: Model, index: number): Promise<MatrixRow> {
  const n = detailsFor(m);
  const emu = await startEmulator({
    issues: n,
    seed: 1,
    knobs: { latencyMs: ctx.opts.latencyMs, rateLimit: m.limit, retryAfterMode: m.retryAfter },
  });
  // Every answer's time and status, from the handler's own counting of statuses.
  const answers: Array<[number, number]> = [];
  emu.counters.byStatus = new Proxy(emu.counters.byStatus, {
    set(target, key, value: number) {
      if (value > (target[Number(key)] ?? 0)) answers.push([Date.now(), Number(key)]);
      return Reflect.set(target, key, value);
    },
  });
  try {
    const run = await runSyncProcess({
      repoRoot: ctx.repoRoot,
      workDir: ctx.workDir,
      emulatorEnv: emu.env(),
      dbPath: join(ctx.workDir, `matrix-${index}.db`),
      concurrency: ctx.opts.concurrency,
      pageSize: ctx.opts.pageSize,
      timeoutMs: ctx.opts.timeoutMs ?? Math.max(120_000, 5 * m.seconds * 1000),
      emulatorPid: process.pid,
    });
    return rowOf(
      m,
      n,
      run.wallMs,
      run.exit.code === 0 && run.summary?.fetched === n
        ? 'ok'
        : `exit ${run.exit.code ?? run.exit.signal}, fetched ${run.summary?.fetched ?? '?'}`,
      answers,
      emu.counters.requests.detail + emu.counters.requests.list,
    );
  } finally {
    await emu.close();
  }
}

function rowOf(
  m: Model,
  n: number,
  wallMs: number,
  status: string,
  answers: Array<[number, number]>,
  requests: number,
): MatrixRow {
  const ok = answers.filter(([, s]) => s === 200).map(([t]) => t);
  const first = answers[0]?.[0] ?? 0;
  const last = ok.at(-1) ?? first;
  const windowMs = Math.max(1, last - first);
  let limitSum = 0;
  for (let t = 0; t < windowMs; t += 100) limitSum += limitAt(m, t);
  const limitRps = limitSum / Math.ceil(windowMs / 100);
  const refused = answers.filter(([, s]) => s === 429).length;
  const row: MatrixRow = {
    model: m.name,
    n,
    limitRps,
    rateShare: ok.length > 1 ? (ok.length * 1000) / windowMs / limitRps : null,
    share429: requests > 0 ? refused / requests : 0,
    wallMs,
    idealMs: (n / limitRps) * 1000,
    status,
    timeline: timelineOf(answers, first),
  };
  if (m.limit.changes)
    Object.assign(
      row,
      changeFigures(
        m,
        ok.map((t) => t - first),
      ),
    );
  return row;
}

/** Answers per whole second since `first`: where a run loses its rate (start-up, a halving, jitter). */
function timelineOf(answers: Array<[number, number]>, first: number): MatrixRow['timeline'] {
  const accepted: number[] = [];
  const refused: number[] = [];
  for (const [t, status] of answers) {
    const s = Math.floor((t - first) / 1000);
    while (accepted.length <= s) {
      accepted.push(0);
      refused.push(0);
    }
    if (status === 200) accepted[s]!++;
    if (status === 429) refused[s]!++;
  }
  return { accepted, refused };
}

/** Accepted per second in [from, to) ms. */
const rate = (ok: number[], from: number, to: number): number =>
  (ok.filter((t) => t >= from && t < to).length * 1000) / (to - from);

/**
 * After the halving: the first second from which every 2-s span until the doubling accepts at most the
 * new limit (its burst allowed). After the doubling: the first second whose next 2 s reach 0.9 of it.
 */
function changeFigures(m: Model, ok: number[]): Pick<MatrixRow, 'underAfterHalvingS' | 'backAfterDoublingS'> {
  const half = limitAt(m, HALVE_AT_S * 1000);
  const full = limitAt(m, DOUBLE_AT_S * 1000);
  let under: number | null = null;
  for (let s = HALVE_AT_S; s + 2 <= DOUBLE_AT_S && under === null; s++) {
    let stays = true;
    for (let u = s; u + 2 <= DOUBLE_AT_S; u++)
      if (rate(ok, u * 1000, (u + 2) * 1000) > half + m.limit.burst / 4) stays = false;
    if (stays) under = s - HALVE_AT_S;
  }
  let back: number | null = null;
  for (let s = DOUBLE_AT_S; s + 2 <= m.seconds + 30 && back === null; s++)
    if (rate(ok, s * 1000, (s + 2) * 1000) >= 0.9 * full) back = s - DOUBLE_AT_S;
  return { underAfterHalvingS: under, backAfterDoublingS: back };
}

/** Runs every model in turn; progress lines through ctx.log. */
export async function runMatrix(ctx: RunContext): Promise<MatrixRow[]> {
  const rows: MatrixRow[] = [];
  for (const [i, m] of MODELS.entries()) {
    if (ctx.opts.models !== undefined && !m.name.toLowerCase().includes(ctx.opts.models)) continue;
    ctx.log(`scenario m: ${m.name} (N ${detailsFor(m)})`);
    const row = await runModel(ctx, m, i);
    ctx.log(`  accepted/s ${row.timeline.accepted.join(' ')}`);
    ctx.log(`  429/s      ${row.timeline.refused.join(' ')}`);
    rows.push(row);
  }
  return rows;
}

const f2 = (v: number | null | undefined): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(2);

/** The matrix as one Markdown table. */
export function matrixTable(rows: MatrixRow[]): string {
  const head = [
    'limiter',
    'N',
    'limit req/s',
    'detail rate / limit',
    '429s',
    'wall s',
    'N/R s',
    'N/R ÷ wall',
    'status',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const change =
      r.underAfterHalvingS !== undefined
        ? ` (under the halved limit after ${r.underAfterHalvingS ?? '—'} s, 0.9 of the restored one after ${r.backAfterDoublingS ?? '—'} s)`
        : '';
    lines.push(
      `| ${[`${r.model}${change}`, String(r.n), r.limitRps.toFixed(1), f2(r.rateShare), `${(100 * r.share429).toFixed(1)}%`, (r.wallMs / 1000).toFixed(1), (r.idealMs / 1000).toFixed(1), f2(r.idealMs / r.wallMs), r.status].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}
