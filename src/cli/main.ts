/**
 * Entry point: argv → command. The only place with a top-level try/catch, signal handlers and exit codes.
 * Errors carry their exit code: known ones print one line on stderr (the last line, so wrappers and
 * systemd show it); unknown ones print "internal error" and, with --verbose, the stack.
 */
import { parseArgs } from 'node:util';
import type { TokenProvider } from '../auth/token-provider.js';
import { ConfigError, SyncError, UsageError, describeError } from '../errors.js';
import type { Config } from '../config/types.js';
import type { Logger, LogLevel } from '../log.js';
import { EXIT } from './exit-codes.js';
import { USAGE } from './usage.js';

/**
 * The configuration loader, logger and duration parser, loaded once a command runs: `--help` and a
 * mistyped command answer without loading the configuration schema (zod), the logger (pino) or cron.
 */
async function runtime() {
  const [config, log, duration] = await Promise.all([
    import('../config/load.js'),
    import('../log.js'),
    import('../config/duration.js'),
  ]);
  const { loadConfig, loadDbConfig } = config;
  return { loadConfig, loadDbConfig, createLogger: log.createLogger, parseDuration: duration.parseDuration };
}
type Runtime = Awaited<ReturnType<typeof runtime>>;

const COMMANDS = ['sync', 'daemon', 'demo', 'status', 'snapshot', 'inspect', 'erase', 'copy'] as const;
type Command = (typeof COMMANDS)[number];

const OPTIONS = {
  full: { type: 'boolean', default: false },
  remap: { type: 'boolean', default: false },
  'allow-mass-delete': { type: 'boolean', default: false },
  wait: { type: 'boolean', default: false },
  'no-run-at-start': { type: 'boolean', default: false },
  verbose: { type: 'boolean', short: 'v', default: false },
  quiet: { type: 'boolean', short: 'q', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  issues: { type: 'string' },
  json: { type: 'boolean', default: false },
  'max-age': { type: 'string' },
  sample: { type: 'string' },
  to: { type: 'string' },
  schema: { type: 'string' },
  issue: { type: 'string', multiple: true },
  undo: { type: 'boolean', default: false },
} as const;

interface CommandLine {
  command: Command;
  positionals: string[];
  values: ReturnType<typeof parseCommandLine>['values'];
}

async function main(argv: string[]): Promise<number> {
  let verbose = false;
  try {
    const { values, positionals } = parseCommandLine(argv);
    verbose = values.verbose;
    const command = positionals[0];
    if (values.help || !command) {
      process.stdout.write(USAGE);
      return command || values.help ? EXIT.OK : EXIT.USAGE;
    }
    if (!isCommand(command)) throw new UsageError(`unknown command "${command}"`);
    await checkCommandArgs(command, positionals, values['max-age']);
    checkSample(command, values.sample);
    return await runCommand({ command, positionals, values }, onSignals());
  } catch (err) {
    if (err instanceof SyncError) {
      process.stderr.write(`speakup-sync: ${err.message}\n`);
      return err.exitCode;
    }
    if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.stderr.write(`speakup-sync: internal error: ${describeError(err)} (run with --verbose for details)\n`);
    return EXIT.FATAL;
  }
}

function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function isCommand(name: string): name is Command {
  return (COMMANDS as readonly string[]).includes(name);
}

/** Positional and option checks per command; throws UsageError naming the problem. */
async function checkCommandArgs(command: Command, positionals: string[], maxAge: string | undefined): Promise<void> {
  if (command === 'snapshot' && positionals.length !== 2)
    throw new UsageError('snapshot needs exactly one path: speakup-sync snapshot <path>');
  if (command !== 'snapshot' && positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  if (maxAge !== undefined && command !== 'status') throw new UsageError('--max-age only applies to status');
  if (maxAge !== undefined && (await import('../config/duration.js')).parseDuration(maxAge) === undefined)
    throw new UsageError(`--max-age: expected a duration such as 90m, 2h or 1d (got ${JSON.stringify(maxAge)})`);
}

/** `--sample N` belongs to inspect: a whole number of details from 1 to 1000. */
function checkSample(command: Command, sample: string | undefined): void {
  if (sample === undefined) return;
  if (command !== 'inspect') throw new UsageError('--sample only applies to inspect');
  if (!/^\d{1,4}$/.test(sample) || Number(sample) < 1 || Number(sample) > 1000)
    throw new UsageError(`--sample: expected a number of details from 1 to 1000 (got ${JSON.stringify(sample)})`);
}

/** First SIGINT/SIGTERM: abort the returned signal (commands finish cleanly). Second: exit at once. */
function onSignals(): AbortSignal {
  const abort = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`speakup-sync: second ${sig}, exiting now\n`);
      // Die of the signal itself, as its default action does: the kernel ends the process at once. An
      // exit() would first stop the writer thread, and one blocked inside SQLite aborts the process.
      process.removeAllListeners(sig);
      process.kill(process.pid, sig);
      return;
    }
    abort.abort(new SyncError('ABORTED', `stopped by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return abort.signal;
}

/** --verbose and --quiet over the command's own level. */
function logLevel(values: CommandLine['values'], base: LogLevel): LogLevel {
  return values.verbose ? 'debug' : values.quiet ? 'warn' : base;
}

/** Loads what the command needs and runs it. Commands are imported on demand: `status` should not pay for the HTTP, auth and emulator modules. */
async function runCommand({ command, positionals, values }: CommandLine, signal: AbortSignal): Promise<number> {
  const rt = await runtime();
  const { loadDbConfig, createLogger } = rt;
  switch (command) {
    case 'demo': {
      const { demoCommand } = await import('./commands/demo.js');
      return demoCommand(
        createLogger({ level: logLevel(values, 'warn') }),
        { issues: values.issues ? Number(values.issues) : 300 },
        signal,
      );
    }
    // Database-only commands: SPEAKUP_DB is all they read, so a monitoring user needs no credentials.
    case 'snapshot':
      return (await import('./commands/snapshot.js')).snapshotCommand(loadDbConfig(process.env), {
        path: positionals[1]!,
        quiet: values.quiet,
      });
    case 'erase': {
      const config = loadDbConfig(process.env);
      const { eraseCommand, parseIssueIds } = await import('./commands/erase.js');
      return eraseCommand(config, createLogger({ level: logLevel(values, config.logLevel) }), {
        ids: parseIssueIds(values.issue),
        undo: values.undo,
        quiet: values.quiet,
      });
    }
    case 'status': {
      const maxAge = values['max-age'];
      const config = loadDbConfig(process.env);
      const statusArgs = { json: values.json, ...(maxAge ? { maxAgeMs: rt.parseDuration(maxAge)! } : {}) };
      if (config.postgres) {
        const { pgStatusCommand } = await import('./commands/status-postgres.js');
        return pgStatusCommand({ ...config, postgres: config.postgres }, statusArgs);
      }
      const { statusCommand } = await import('./commands/status.js');
      return statusCommand(config, statusArgs);
    }
    case 'copy':
      return runCopy(values, rt);
    case 'sync':
    case 'daemon':
    case 'inspect':
      return runApiCommand(command, values, signal, rt);
  }
}

/**
 * `copy --to URL [--schema NAME]`: the source is SPEAKUP_DB; the target is checked as SPEAKUP_DB and
 * SPEAKUP_DB_SCHEMA would be (same TLS rule, same messages), under the option's own name.
 */
async function runCopy(values: CommandLine['values'], { loadDbConfig, createLogger }: Runtime): Promise<number> {
  if (!values.to) throw new UsageError('copy needs a target: speakup-sync copy --to postgres://user:password@host/db');
  const source = loadDbConfig(process.env);
  let target: ReturnType<typeof loadDbConfig>;
  try {
    target = loadDbConfig({
      ...process.env,
      SPEAKUP_DB: values.to,
      ...(values.schema ? { SPEAKUP_DB_SCHEMA: values.schema } : {}),
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const named = (p: string) =>
      p
        .replace(/^SPEAKUP_DB: /, '--to: ')
        .replace(/^SPEAKUP_DB_SCHEMA: /, values.schema ? '--schema: ' : 'SPEAKUP_DB_SCHEMA: ');
    throw new ConfigError(err.problems.map(named));
  }
  if (!target.postgres) throw new UsageError('--to: expected a postgres:// or postgresql:// URL');
  const { copyCommand } = await import('./commands/copy.js');
  const log = createLogger({ level: logLevel(values, source.logLevel) });
  return copyCommand(source, log, { target: target.postgres, quiet: values.quiet });
}

/** The commands that talk to SpeakUp: the full configuration, credentials included. */
async function runApiCommand(
  command: 'sync' | 'daemon' | 'inspect',
  values: CommandLine['values'],
  signal: AbortSignal,
  { loadConfig, createLogger }: Runtime,
): Promise<number> {
  const config = loadConfig(process.env);
  const log = createLogger({ level: logLevel(values, config.logLevel) });
  for (const w of config.warnings) log.warn(w);
  if (command === 'inspect') {
    // Read-only: logs in and reads the API; never opens the database.
    const { inspectCommand } = await import('./commands/inspect.js');
    return inspectCommand(
      config,
      log,
      {
        json: values.json,
        ...(values.sample ? { sample: Number(values.sample) } : {}),
        ...(config.fieldMap ? { fieldMap: config.fieldMap } : {}),
      },
      signal,
    );
  }
  if (command === 'sync') {
    // The login's round trips overlap loading the sync's modules and opening the database, instead of
    // following them; a remap sends no request at all.
    const tokens = values.remap ? undefined : await loginEarly(config, log, signal);
    const { syncCommand } = await import('./commands/sync.js');
    return syncCommand(
      config,
      log,
      {
        full: values.full,
        remap: values.remap,
        allowMassDelete: values['allow-mass-delete'],
        wait: values.wait,
        quiet: values.quiet,
      },
      signal,
      tokens,
    );
  }
  const { daemonCommand } = await import('./commands/daemon.js');
  return daemonCommand(
    config,
    log,
    { allowMassDelete: values['allow-mass-delete'], ...(values['no-run-at-start'] ? { runAtStart: false } : {}) },
    signal,
  );
}

/** The token provider with its login started (tokens.ts), loaded apart from the rest of the sync. */
async function loginEarly(config: Config, log: Logger, signal: AbortSignal): Promise<TokenProvider> {
  const { createTokenProvider, startLogin } = await import('./tokens.js');
  return startLogin(createTokenProvider(config, log), signal);
}

// Exit explicitly: idle keep-alive sockets (ours and the Cognito library's fetch) would otherwise hold
// the process open for seconds after the work is done. Logs are written synchronously, nothing is lost.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`speakup-sync: internal error: ${describeError(err)}\n`);
    process.exit(EXIT.FATAL);
  },
);
