/**
 * `inspect`: logs in, probes the list, reads a sample of details, and reports what the server does and
 * where each typed column would be read from. Read-only: no database is opened, nothing is written.
 */
import type { TokenProvider } from '../auth/token-provider.js';
import type { Config } from '../config/types.js';
import type { FieldMap } from '../sync/field-map.js';
import { checkColumns } from './columns.js';
import { createProbeHttp, type ProbeHttp } from './http.js';
import { probeList, refusal } from './list.js';
import { probeLogin } from './login.js';
import { collectPaths } from './paths.js';
import type { Finding, InspectReport } from './types.js';

export interface InspectOptions {
  /** Details to read, default 20. */
  sample: number;
  fieldMap: FieldMap;
  signal?: AbortSignal | undefined;
}

const RATE_HEADER = /^(x-)?ratelimit|^retry-after$/;

/** Runs every probe; never throws for what the server does (that is a finding), only for a bug or an abort. */
export async function runInspect(config: Config, tokens: TokenProvider, opts: InspectOptions): Promise<InspectReport> {
  const findings: Finding[] = [];
  const report = (sampled: number, extra: Partial<InspectReport> = {}): InspectReport => ({
    ok: findings.every((f) => f.verdict !== 'problem'),
    target: config.api.baseUrl,
    findings,
    sampled,
    paths: [],
    columns: [],
    fieldMap: {},
    ...extra,
  });
  const login = await probeLogin(tokens, config.auth, opts.signal);
  findings.push(login.finding);
  if (!login.ok) return report(0);
  const http = createProbeHttp(config.api, () => tokens.getToken(opts.signal), config.retry.timeoutMs);
  const list = await probeList(http, config.api);
  findings.push(...list.findings);
  if (!list.readable) return withRateLimit(findings, http, report(0));
  const details = await readSample(http, config, list.ids, opts.sample, findings);
  const paths = collectPaths(details).sort((a, b) => a.path.localeCompare(b.path));
  const { columns, findings: columnFindings, fieldMap } = checkColumns(opts.fieldMap, paths, details.length);
  if (details.length > 0) findings.push(...columnFindings);
  return withRateLimit(findings, http, report(details.length, { paths, columns, fieldMap }));
}

/** Evenly spread ids from the list, in list order. */
export function pickSample(ids: readonly number[], n: number): number[] {
  const valid = ids.filter((id) => Number.isSafeInteger(id) && id > 0);
  if (valid.length <= n) return valid;
  return Array.from({ length: n }, (_, i) => valid[Math.floor((i * valid.length) / n)]!);
}

async function readSample(
  http: ProbeHttp,
  config: Config,
  ids: readonly number[],
  n: number,
  findings: Finding[],
): Promise<unknown[]> {
  const chosen = pickSample(ids, n);
  const details: unknown[] = [];
  let failed: Finding | undefined;
  for (const id of chosen) {
    const a = await http.get(`v1/public/issues/${id}`);
    const refused = refusal('detail sample', a, config.api);
    if (refused) failed ??= refused;
    else if (typeof a.json !== 'object' || a.json === null || Array.isArray(a.json))
      failed ??= { check: 'detail sample', verdict: 'problem', detail: 'a detail is not a JSON object' };
    else details.push(a.json);
  }
  if (chosen.length === 0)
    findings.push({
      check: 'detail sample',
      verdict: 'warning',
      detail: 'no issue listed: the detail object was not checked',
    });
  else if (failed)
    findings.push({ ...failed, detail: `${details.length} of ${chosen.length} details read; ${failed.detail}` });
  else
    findings.push({
      check: 'detail sample',
      verdict: 'ok',
      detail: `${details.length} details read${chosen.length < n ? ` (all the list had; ${n} asked)` : ''}`,
    });
  return details;
}

function withRateLimit(findings: Finding[], http: ProbeHttp, report: InspectReport): InspectReport {
  const seen = [...http.headerNames].filter((h) => RATE_HEADER.test(h)).sort();
  const limits = [...http.advertised.entries()].map(([k, v]) => `${k} ${v}`).join(', ');
  const throttled =
    http.throttled > 0 ? `; ${http.throttled} of ${http.requests} answers were 429 (waited as told)` : '';
  findings.push({
    check: 'rate limiting',
    verdict: 'ok',
    detail:
      seen.length > 0
        ? `headers seen: ${seen.join(', ')}${limits ? ` (${limits})` : ''}${throttled}`
        : `no rate-limit headers in ${http.requests} answers (the sync slows down on 429 by itself)${throttled}`,
  });
  return { ...report, ok: findings.every((f) => f.verdict !== 'problem') };
}
