/** Markdown tables and the target check of a benchmark run. */
import { matrixTable, type MatrixRow } from './limiter-matrix.js';
import { REFERENCE_SUFFIX, type PerIssue } from './scale.js';
import type { BenchReport, ScenarioResult } from './types.js';

const s = (ms: number | null | undefined, digits = 2): string =>
  ms === null || ms === undefined || !Number.isFinite(ms) ? '—' : (ms / 1000).toFixed(digits);
const int = (v: number | null | undefined): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : Math.round(v).toLocaleString('en-US');
const r2 = (v: number | null | undefined): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(2);
const pct = (v: number | null | undefined): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : `${Math.round(v)}%`;

/** The main table: one row per scenario. */
export function scenarioTable(rows: ScenarioResult[]): string {
  const head = [
    '#',
    'scenario',
    'N',
    'L ms',
    'R/s',
    'C',
    'wall s',
    'wall − start-up s',
    'list / detail req',
    '429s',
    'issues/s (incl. / excl.)',
    'peak RSS MB',
    'bound s',
    'bound/achieved (incl. / excl. / API)',
    'status',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    if (r.id === 'm') continue;
    const total = r.requests.list + r.requests.detail;
    const share429 = total > 0 ? ` (${((100 * r.requests.rateLimited) / total).toFixed(1)}%)` : '';
    lines.push(
      `| ${[
        r.id,
        r.title,
        int(r.n),
        String(r.latencyMs),
        r.rps === null ? '—' : String(r.rps),
        String(r.concurrency),
        s(r.wallMs),
        s(r.netWallMs),
        `${int(r.requests.list)} / ${int(r.requests.detail)}`,
        `${int(r.requests.rateLimited)}${share429}`,
        `${int(r.issuesPerSec.incl)} / ${int(r.issuesPerSec.excl)}`,
        r.peakRssMb === null ? '—' : r.peakRssMb.toFixed(0),
        s(r.boundMs),
        `${r2(r.ratio.incl)} / ${r2(r.ratio.excl)} / ${r2(r.ratio.api)}`,
        r.status === 'ok' ? 'ok' : `**${r.status}**: ${r.problems.join('; ')}`,
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** Where the time and CPU went: phases from logs and emulator arrivals, CPU shares from /proc. */
export function phaseTable(rows: ScenarioResult[]): string {
  const head = [
    '#',
    'start-up+DB s',
    'login s',
    'API window s',
    'tail s',
    'sync CPU s',
    'sync CPU in API window (core, per request)',
    'emulator CPU s',
    'emulator CPU in API window (core, per request)',
    'host cores busy (others)',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    if (r.id === 'w' || r.id === 'm' || r.id === 'c') continue;
    const p = r.phases;
    const requests = r.requests.list + r.requests.detail;
    // CPU ms per API request in the window: share of a core × window length / requests.
    const per = (share: number | null): string =>
      share === null || !p || requests === 0
        ? pct(share)
        : `${pct(share)}, ${(((share / 100) * p.apiMs) / requests).toFixed(2)} ms`;
    lines.push(
      `| ${[
        r.id,
        s(p?.startupMs),
        s(p?.loginMs),
        s(p?.apiMs),
        s(p?.tailMs),
        s(r.cpu.syncMs),
        per(r.cpu.syncApiPct),
        s(r.cpu.emulatorMs),
        per(r.cpu.emulatorApiPct),
        `${r2(r.cpu.hostCores)} (${r2(r.cpu.otherCores)})`,
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** Evaluates issue 5's targets against the results (met = null when the scenario did not run). */
export function checkTargets(rows: ScenarioResult[]): BenchReport['targets'] {
  const by = (id: string): ScenarioResult | undefined =>
    rows.find((r) => r.id === id && r.status !== 'failed' && r.status !== 'timeout');
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const out: BenchReport['targets'] = [];
  const s1 = by('1');
  out.push({
    target: '1: ≥ 0.85 of bound (excl. start-up)',
    measured: s1 ? `${r2(s1.ratio.excl)} excl., ${r2(s1.ratio.incl)} incl., ${r2(s1.ratio.api)} API window` : 'not run',
    met: s1?.ratio.excl == null ? null : s1.ratio.excl >= 0.85,
  });
  // Fixed cost per run: spawn to the first API request (start-up, database, login), and the last answer
  // to the exit (last writes, run log, threads and database closed), from the first sync scenario run.
  const fixed = rows.find((r) => r.phases && r.status === 'ok' && !['0', 'w', 'm', 'c', 'b'].includes(r.id))?.phases;
  const toFirst = fixed ? fixed.startupMs + fixed.loginMs : null;
  const total = fixed && toFirst !== null ? toFirst + fixed.tailMs : null;
  out.push({
    target: 'fixed cost: start → first API request + finish ≤ 0.5 s',
    measured: fixed ? `${s(toFirst)} s to the first request + ${s(fixed.tailMs)} s finish = ${s(total)} s` : 'not run',
    met: total === null ? null : total <= 500,
  });
  const s7 = by('7');
  const up = num(s7?.extra.speedupIncl);
  const upEx = num(s7?.extra.speedupExcl);
  out.push({
    target: '1 vs 7: ≥ 12× the naive baseline',
    measured: up === null ? 'not run' : `${up.toFixed(1)}× incl. start-up, ${upEx?.toFixed(1) ?? '—'}× excl.`,
    met: up === null ? null : up >= 12,
  });
  const s2 = by('2');
  const share = num(s2?.extra.shareOfR);
  const p429 = num(s2?.extra.share429);
  out.push({
    target: '2: ≥ 0.9 R sustained, < 5% 429s',
    measured: s2
      ? `${r2(share)} of R (${int(num(s2.extra.sustainedRps))} req/s in API window), ${p429 === null ? '—' : (100 * p429).toFixed(1)}% 429s`
      : 'not run',
    met: share === null || p429 === null ? null : share >= 0.9 && p429 < 0.05,
  });
  const s3 = by('3');
  const vsList = num(s3?.extra.apiVsListCost);
  out.push({
    target: '3: zero detail requests, ≤ 1.2× the list pages’ cost',
    measured: s3
      ? `${s3.requests.detail} details; API window ${r2(vsList)}× the list-only probe; whole run ${r2(num(s3.extra.netWallVsLoginAndList))}× probe login+list (excl. start-up)`
      : 'not run',
    met: s3 ? s3.requests.detail === 0 && vsList !== null && vsList <= 1.2 : null,
  });
  const s5 = by('5');
  out.push({
    target: '5: ≥ 3,000 issues/s end to end',
    measured: s5 ? `${int(s5.issuesPerSec.incl)}/s incl. start-up, ${int(s5.issuesPerSec.excl)}/s excl.` : 'not run',
    met: s5 ? s5.issuesPerSec.incl >= 3000 : null,
  });
  const w = by('w');
  if (w?.title.startsWith('PostgreSQL')) {
    out.push({
      target: 'w: PostgreSQL write path alone ≥ 5,000 issues/s',
      measured: `${int(w.issuesPerSec.incl)}/s wall (slower of insert/update)`,
      met: w.issuesPerSec.incl >= 5000,
    });
  } else {
    // Judged against the schema's floor (bench/write-path.ts prints both ratios on its RESULT line).
    const ratios = /new ([\d.]+), changed ([\d.]+)/.exec(typeof w?.extra.result === 'string' ? w.extra.result : '');
    const [newShare, changedShare] = ratios ? [Number(ratios[1]), Number(ratios[2])] : [null, null];
    out.push({
      target: 'w: saveIssues ≥ 0.85 of the schema floor for new issues, ≥ 0.8 for changed ones (per CPU-second)',
      measured: w
        ? `new ${r2(newShare)}, changed ${r2(changedShare)}; ${int(w.issuesPerSec.incl)}/s wall, ${int(num(w.extra.perCpuSecond))}/s per CPU-second; schema floor (issue, field and FTS rows alone) ${int(num(w.extra.schemaFloor))}/s`
        : 'not run (add w to --scenarios)',
      met: newShare === null || changedShare === null ? null : newShare >= 0.85 && changedShare >= 0.8,
    });
  }
  const c = by('c');
  if (c)
    out.push({
      target: 'c: copy into PostgreSQL in < 60 s, peak RSS < 300 MB',
      measured: `${(c.wallMs / 1000).toFixed(1)} s, ${c.peakRssMb?.toFixed(0) ?? '—'} MB`,
      met: c.wallMs < 60_000 && c.peakRssMb !== null && c.peakRssMb < 300,
    });
  const matrix = by('m')?.extra.matrix as MatrixRow[] | undefined;
  if (matrix) {
    const worst = Math.min(...matrix.map((r) => r.rateShare ?? 0));
    const most429 = Math.max(...matrix.map((r) => r.share429));
    out.push({
      target: 'm: every limiter ≥ 0.9 of the limit, < 5% 429s',
      measured: `lowest ${r2(worst)} of the limit, most 429s ${(100 * most429).toFixed(1)}%`,
      met: worst >= 0.9 && most429 < 0.05,
    });
    const change = matrix.find((r) => r.underAfterHalvingS !== undefined);
    if (change) {
      const { underAfterHalvingS: under, backAfterDoublingS: back } = change;
      out.push({
        target: 'm: halved limit: under it within 5 s; doubled back: ≥ 0.9 within 30 s',
        measured: `under after ${under ?? '—'} s, 0.9 after ${back ?? '—'} s`,
        met: under !== null && under !== undefined && under <= 5 && back !== null && back !== undefined && back <= 30,
      });
    }
  }
  out.push(...scaleTargets(by));
  return out;
}

/** Peak RSS below this at N issues: 250 MB up to 100,000 issues, 300 MB beyond (up to a million). */
export const scaleRssLimitMb = (n: number): number => (n <= 100_000 ? 250 : 300);

/** Scenario 6's rows: peak RSS of the full sync and the re-sync; the re-sync's cost per issue, against the reference. */
function scaleTargets(by: (id: string) => ScenarioResult | undefined): BenchReport['targets'] {
  const full = by('6');
  const resync = by('6r');
  const ref = by(`6r${REFERENCE_SUFFIX}`);
  const peaks = [full, resync].map((r) => r?.peakRssMb ?? null);
  const n = full?.n ?? resync?.n;
  const limit = scaleRssLimitMb(n ?? 0);
  const cost = (r: ScenarioResult): PerIssue | undefined => r.extra.perIssue as PerIssue | undefined;
  const us = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : v.toFixed(1));
  const describe = (r: ScenarioResult): string =>
    `${us(cost(r)?.wallUs)} µs wall, ${us(cost(r)?.cpuUs)} µs CPU per issue at N = ${int(r.n)}`;
  const [here, there] = [resync && cost(resync), ref && cost(ref)];
  return [
    {
      target: `6: peak RSS < ${limit} MB at N = ${int(n)} (full sync / unchanged re-sync)`,
      measured: n === undefined ? 'not run' : peaks.map((p) => (p === null ? '—' : `${p.toFixed(0)} MB`)).join(' / '),
      met: peaks.every((p) => p === null) ? null : peaks.every((p) => p === null || p < limit),
    },
    {
      target: '6r: unchanged re-sync cost per issue at N ≤ at the reference N (--scale-reference)',
      measured: !resync ? 'not run' : `${describe(resync)}${ref ? `; ${describe(ref)}` : '; no reference in this run'}`,
      met:
        here?.cpuUs == null || there?.cpuUs == null ? null : here.cpuUs <= there.cpuUs && here.wallUs <= there.wallUs,
    },
  ];
}

/** The whole Markdown report. */
export function markdown(report: BenchReport): string {
  const busy = report.scenarios.map((r) => r.cpu.otherCores).filter((v): v is number => v !== null);
  const others = busy.length > 0 ? busy.reduce((a, b) => a + b, 0) / busy.length : 0;
  const warning =
    others > 0.25
      ? [
          `**Machine busy**: other processes used ${others.toFixed(2)} cores on average during the sync runs; figures are pessimistic.`,
          '',
        ]
      : [];
  const t = report.targets.map(
    (x) => `| ${x.target} | ${x.measured} | ${x.met === null ? '—' : x.met ? 'yes' : '**no**'} |`,
  );
  return [
    ...warning,
    `No-op start-up (median of 3 \`--help\` runs): speakup-sync ${s(report.startup.syncMs)} s, naive script ${s(report.startup.naiveMs)} s. ` +
      '"incl." figures count it, "excl." figures subtract it; "API" = first API request to last answer (no start-up, no login).',
    '',
    scenarioTable(report.scenarios),
    '',
    phaseTable(report.scenarios),
    '',
    ...report.scenarios.filter((r) => r.id === 'm').flatMap((r) => [matrixTable(r.extra.matrix as MatrixRow[]), '']),
    '| target | measured | met |',
    '|---|---|---|',
    ...t,
  ].join('\n');
}
