/**
 * `npm run emulator -- [options]`: starts the SpeakUp + Cognito emulator on loopback, prints the SPEAKUP_*
 * environment (one KEY=value per line on stdout, pasteable into .env), logs status on stderr, and runs
 * until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { PAGING_MODES, RETRY_AFTER_MODES } from './api/knobs.js';
import type { ApiKnobsInit, PagingMode, RetryAfterMode } from './api/knobs.js';
import { LIST_ORDERS } from './api/dataset.js';
import type { ListOrder } from './api/dataset.js';
import { DETAIL_DIALECTS } from './api/generate.js';
import type { DetailDialect } from './api/generate.js';
import { startControlServer, stopWhenOrphaned } from './control.js';
import { LIMITER_HELP, LIMITER_OPTIONS, limiterFromArgs } from './limiter-args.js';
import { startEmulator } from './start.js';
import type { StartEmulatorOptions } from './start.js';

const HELP = `Usage: npm run emulator -- [options]

Starts an emulated SpeakUp API and Cognito user pool on 127.0.0.1 and prints the
SPEAKUP_* variables a sync needs (stdout, KEY=value). Runs until Ctrl-C.

Data and ports
  --issues N             generated issues, 0..100000+          (default 250)
  --seed N               data set and fault seed               (default 1)
  --port N               API port, 0 = a free one              (default 0)
  --idp-port N           Cognito port, 0 = a free one          (default 0)
  --prefix PATH          API path prefix, e.g. /api            (default none)
  --client-header NAME   name of the client header             (default client)
  --client-system NAME   expected client system name           (default showroom)
  --username NAME        service account                       (default sync-bot)
  --password SECRET      its password                          (default random)
  --id-ttl SEC           ID and access token lifetime          (default 600)
  --refresh-ttl SEC      refresh token lifetime                (default 3600)
Paging
  --paging MODE          page | envelope | unpaged             (default page)
  --page-size-max N      server cap on the page size           (default 500)
  --page-param NAME      page number parameter                 (default page)
  --page-size-param NAME page size parameter                   (default pageSize)
  --ignore-page-param    serve page 1 whatever page is asked for
  --list-order ORDER     id | newest-first (by updatedAt)      (default id)
Dialect
  --detail-dialect D     default | renamed (renamed and nested fields,
                         dates as epoch ms, no issueType)      (default default)
Faults
  --latency MS           fixed delay per request               (default 0)
  --jitter MS            extra random delay, 0..MS             (default 0)
${LIMITER_HELP}  --retry-after-mode M   seconds | http-date | fractional | none (default seconds)
  --advertise-rate       send RateLimit-Policy: <rps>;w=1 with the rate limit
  --p-5xx P              probability of 500/502/503            (default 0)
  --p-reset P            probability of a connection reset     (default 0)
  --p-malformed P        probability of a truncated JSON body  (default 0)
  --p-stall P            probability of never answering        (default 0)
  --fail-ids ID,ID,...   issue ids whose detail always fails   (default none)
Harness
  --control              serve /__emulator/* on a third port, print
                         EMULATOR_CONTROL_URL; stop when the parent dies
  -h, --help             this text
`;

const OPTIONS = {
  issues: { type: 'string' },
  seed: { type: 'string' },
  port: { type: 'string' },
  'idp-port': { type: 'string' },
  prefix: { type: 'string' },
  'client-header': { type: 'string' },
  'client-system': { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  'id-ttl': { type: 'string' },
  'refresh-ttl': { type: 'string' },
  paging: { type: 'string' },
  'page-size-max': { type: 'string' },
  'page-param': { type: 'string' },
  'page-size-param': { type: 'string' },
  'ignore-page-param': { type: 'boolean' },
  'list-order': { type: 'string' },
  'detail-dialect': { type: 'string' },
  latency: { type: 'string' },
  jitter: { type: 'string' },
  ...LIMITER_OPTIONS,
  'retry-after-mode': { type: 'string' },
  'advertise-rate': { type: 'boolean' },
  'p-5xx': { type: 'string' },
  'p-reset': { type: 'string' },
  'p-malformed': { type: 'string' },
  'p-stall': { type: 'string' },
  'fail-ids': { type: 'string' },
  control: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

/** Turns parsed flags into startEmulator options; throws one Error listing every bad flag. */
function optionsFromArgs(values: Values): StartEmulatorOptions {
  const problems: string[] = [];
  const number = (flag: keyof Values, min: number, max: number, integer: boolean): number | undefined => {
    const raw = values[flag];
    if (typeof raw !== 'string') return undefined;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      problems.push(`--${flag}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got "${raw}")`);
      return undefined;
    }
    return n;
  };
  const oneOf = <T extends string>(flag: keyof Values, allowed: readonly T[]): T | undefined => {
    const raw = values[flag];
    if (typeof raw !== 'string') return undefined;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    problems.push(`--${flag}: expected ${allowed.join(' | ')} (got "${raw}")`);
    return undefined;
  };

  const knobs: ApiKnobsInit = {};
  const set = <K extends keyof ApiKnobsInit>(key: K, value: ApiKnobsInit[K] | undefined): void => {
    if (value !== undefined) knobs[key] = value;
  };
  set('paging', oneOf<PagingMode>('paging', PAGING_MODES));
  set('retryAfterMode', oneOf<RetryAfterMode>('retry-after-mode', RETRY_AFTER_MODES));
  set('pageSizeMax', number('page-size-max', 1, 1_000_000, true));
  set('latencyMs', number('latency', 0, 3_600_000, false));
  set('jitterMs', number('jitter', 0, 3_600_000, false));
  set('p5xx', number('p-5xx', 0, 1, false));
  set('pReset', number('p-reset', 0, 1, false));
  set('pMalformed', number('p-malformed', 0, 1, false));
  set('pStall', number('p-stall', 0, 1, false));
  if (values['advertise-rate']) knobs.advertisePolicy = true;
  set('pageParam', values['page-param']);
  set('pageSizeParam', values['page-size-param']);
  set('listOrder', oneOf<ListOrder>('list-order', LIST_ORDERS));
  set('detailDialect', oneOf<DetailDialect>('detail-dialect', DETAIL_DIALECTS));
  if (values['ignore-page-param']) knobs.ignorePageParam = true;
  set('rateLimit', limiterFromArgs(values, problems));
  const failIds = values['fail-ids'];
  if (failIds !== undefined) {
    const ids = failIds
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (ids.some((s) => !/^\d+$/.test(s)))
      problems.push(`--fail-ids: expected comma-separated issue ids (got "${failIds}")`);
    else knobs.failIds = ids.map(Number);
  }

  const opts: StartEmulatorOptions = { knobs };
  const assign = <K extends keyof StartEmulatorOptions>(key: K, value: StartEmulatorOptions[K] | undefined): void => {
    if (value !== undefined) opts[key] = value;
  };
  assign('issues', number('issues', 0, 10_000_000, true));
  assign('seed', number('seed', 0, 2 ** 32 - 1, true));
  assign('port', number('port', 0, 65_535, true));
  assign('idpPort', number('idp-port', 0, 65_535, true));
  assign('prefix', values.prefix);
  assign('clientHeader', values['client-header']);
  assign('clientSystem', values['client-system']);
  assign('username', values.username);
  assign('password', values.password);
  const idTtl = number('id-ttl', 1, 86_400 * 365, true);
  const refreshTtl = number('refresh-ttl', 1, 86_400 * 3650, true);
  opts.cognito = {
    ...(idTtl !== undefined ? { idTokenTtlSec: idTtl, accessTokenTtlSec: idTtl } : {}),
    ...(refreshTtl !== undefined ? { refreshTokenTtlSec: refreshTtl } : {}),
  };
  if (problems.length > 0) throw new Error(`invalid options:\n  ${problems.join('\n  ')}`);
  return opts;
}

async function main(): Promise<void> {
  let values: Values;
  let opts: StartEmulatorOptions;
  try {
    values = parseArgs({ options: OPTIONS, strict: true, allowPositionals: false }).values;
    if (values.help) {
      process.stdout.write(HELP);
      return;
    }
    opts = optionsFromArgs(values);
  } catch (err) {
    // Usage errors exit 2 (STYLE.md §13), with the help hint rather than a stack.
    process.stderr.write(
      `emulator: ${err instanceof Error ? err.message : String(err)}\nTry: npm run emulator -- --help\n`,
    );
    process.exitCode = 2;
    return;
  }
  const emu = await startEmulator(opts);
  for (const [key, value] of Object.entries(emu.env())) process.stdout.write(`${key}=${value}\n`);
  const control = values.control ? await startControlServer(emu) : undefined;
  if (control) process.stdout.write(`EMULATOR_CONTROL_URL=${control.url}\n`);
  process.stderr.write(
    `emulator: API ${emu.apiUrl}  IdP ${emu.cognitoEndpoint}  ${emu.data.size()} issues (seed ${opts.seed ?? 1}), paging ${emu.knobs.paging}\n` +
      `emulator: paste the lines above into .env, then npm run sync; Ctrl-C stops\n`,
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    const c = emu.counters;
    process.stderr.write(
      `emulator: ${signal}, closing (served list ${c.requests.list}, detail ${c.requests.detail}, other ${c.requests.other})\n`,
    );
    void Promise.all([emu.close(), control?.close()]);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (control) stopWhenOrphaned(() => stop('SIGTERM'));
}

await main();
