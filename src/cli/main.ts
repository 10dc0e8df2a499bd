/**
 * Entry point: argv → command. The only place with a top-level try/catch, signal handlers and exit codes.
 * Known errors print one line on stderr (the last line, so wrappers and systemd show it); unknown errors
 * print "internal error" and, with --verbose, the stack.
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../config/duration.js';
import { loadConfig, loadDbConfig } from '../config/load.js';
import { ConfigError, LockedError, SyncError, describeError } from '../errors.js';
import { createLogger, type LogLevel } from '../log.js';
import { EXIT } from './exit-codes.js';
import { USAGE } from './usage.js';

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        full: { type: 'boolean', default: false },
        'allow-mass-delete': { type: 'boolean', default: false },
        wait: { type: 'boolean', default: false },
        'no-run-at-start': { type: 'boolean', default: false },
        verbose: { type: 'boolean', short: 'v', default: false },
        quiet: { type: 'boolean', short: 'q', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        issues: { type: 'string' },
        json: { type: 'boolean', default: false },
        'max-age': { type: 'string' },
      },
    });
  } catch (err) {
    process.stderr.write(`speakup-sync: ${(err as Error).message}; see speakup-sync --help\n`);
    return EXIT.USAGE;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? EXIT.OK : EXIT.USAGE;
  }

  if (!['sync', 'daemon', 'demo', 'status', 'snapshot'].includes(command)) {
    process.stderr.write(`speakup-sync: unknown command "${command}"; see speakup-sync --help\n`);
    return EXIT.USAGE;
  }
  const usageError = checkCommandArgs(command, positionals, values['max-age']);
  if (usageError) {
    process.stderr.write(`speakup-sync: ${usageError}; see speakup-sync --help\n`);
    return EXIT.USAGE;
  }

  const abort = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`speakup-sync: second ${sig}, exiting now\n`);
      process.exit(130);
    }
    abort.abort(new SyncError('ABORTED', `stopped by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const level = (base: LogLevel): LogLevel => (values.verbose ? 'debug' : values.quiet ? 'warn' : base);
  // Commands are loaded on demand: `status` should not pay for the HTTP, auth and emulator modules.
  try {
    if (command === 'demo') {
      const { demoCommand } = await import('./commands/demo.js');
      const log = createLogger({ level: level('warn') });
      return await demoCommand(log, { issues: values.issues ? Number(values.issues) : 300 }, abort.signal);
    }
    if (command === 'status' || command === 'snapshot') {
      // Database-only commands: SPEAKUP_DB is all they read, so a monitoring user needs no credentials.
      const dbConfig = loadDbConfig(process.env);
      if (command === 'snapshot') return await (await import('./commands/snapshot.js')).snapshotCommand(dbConfig, { path: positionals[1]!, quiet: values.quiet });
      const maxAge = values['max-age'];
      const { statusCommand } = await import('./commands/status.js');
      return statusCommand(dbConfig, { json: values.json, ...(maxAge ? { maxAgeMs: parseDuration(maxAge)! } : {}) });
    }
    const config = loadConfig(process.env);
    const log = createLogger({ level: level(config.logLevel) });
    for (const w of config.warnings) log.warn(w);
    switch (command) {
      case 'sync': {
        const { syncCommand } = await import('./commands/sync.js');
        return await syncCommand(config, log, { full: values.full, allowMassDelete: values['allow-mass-delete'], wait: values.wait, quiet: values.quiet }, abort.signal);
      }
      case 'daemon': {
        const { daemonCommand } = await import('./commands/daemon.js');
        return await daemonCommand(config, log, { allowMassDelete: values['allow-mass-delete'], ...(values['no-run-at-start'] ? { runAtStart: false } : {}) }, abort.signal);
      }
      default:
        process.stderr.write(`speakup-sync: unknown command "${command}"; see speakup-sync --help\n`);
        return EXIT.USAGE;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`speakup-sync: ${err.message}\n`);
      return EXIT.CONFIG;
    }
    if (err instanceof LockedError) {
      process.stderr.write(`speakup-sync: ${err.message}\n`);
      return EXIT.LOCKED;
    }
    if (err instanceof SyncError) {
      process.stderr.write(`speakup-sync: ${err.message}\n`);
      return EXIT.FATAL;
    }
    if (values.verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.stderr.write(`speakup-sync: internal error: ${describeError(err)} (run with --verbose for details)\n`);
    return EXIT.FATAL;
  }
}

/** Positional and option checks per command; returns the problem, if any. */
function checkCommandArgs(command: string, positionals: string[], maxAge: string | undefined): string | undefined {
  if (command === 'snapshot' && positionals.length !== 2) return 'snapshot needs exactly one path: speakup-sync snapshot <path>';
  if (command !== 'snapshot' && positionals.length > 1) return `unexpected argument "${positionals[1]}"`;
  if (maxAge !== undefined && command !== 'status') return '--max-age only applies to status';
  if (maxAge !== undefined && parseDuration(maxAge) === undefined) return `--max-age: expected a duration such as 90m, 2h or 1d (got ${JSON.stringify(maxAge)})`;
  return undefined;
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
