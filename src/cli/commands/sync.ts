/** `speakup-sync sync [--full] [--allow-mass-delete] [--wait]`: one run, then exit. */
import type { Logger } from 'pino';
import type { TokenProvider } from '../../auth/token-provider.js';
import type { Config } from '../../config/types.js';
import { runSync } from '../../sync/run-sync.js';
import { withRunLock } from '../../sync/run-lock.js';
import type { SyncResult } from '../../sync/types.js';
import { createApi, createTokenProvider, openMirror } from '../compose.js';
import { EXIT } from '../exit-codes.js';
import { purgeOption } from './daemon.js';
import { remapCommand } from './remap.js';
import { summaryLine, terminalProgress } from '../progress.js';

export interface SyncArgs {
  full: boolean;
  allowMassDelete: boolean;
  wait: boolean;
  quiet: boolean;
  /** Only remap the stored issues from their detail JSON (remap.ts): no request to SpeakUp. */
  remap?: boolean;
}

/** Runs one sync and returns the exit code; a fatal run rethrows its error for the entry point to print. */
export async function syncCommand(
  config: Config,
  log: Logger,
  args: SyncArgs,
  signal: AbortSignal,
  /** A provider whose login is already under way (main.ts starts it before loading this module). */
  early?: TokenProvider,
): Promise<number> {
  if (args.remap) return remapCommand(config, log, args, signal);
  const tokens = early ?? createTokenProvider(config, log);
  const db = await openMirror(config, log).catch(async (err: unknown) => {
    await tokens.close?.();
    throw err;
  });
  const api = createApi(config, tokens, log);
  const showProgress = !args.quiet && Boolean(process.stderr.isTTY);
  const bar = showProgress ? terminalProgress(process.stderr) : undefined;
  let result: SyncResult;
  try {
    result = await withRunLock(db.lock, { wait: args.wait, signal, log }, (lease) =>
      db.withRunThreads((writer) =>
        runSync(
          { api, store: db.store, writer, log, ...(config.fieldMap ? { fieldMap: config.fieldMap } : {}) },
          {
            full: args.full,
            // A full run also re-maps stored issues the listing no longer holds (deleted ones).
            remap: args.full,
            concurrency: config.api.concurrency,
            trigger: 'manual',
            maxDeleteShare: config.maxDeleteShare,
            allowMassDelete: args.allowMassDelete,
            signal,
            lease,
            ...purgeOption(config),
            ...(bar ? { onProgress: bar.update } : {}),
          },
        ),
      ),
    );
  } finally {
    bar?.done();
    api.close();
    await tokens.close?.();
    await db.close();
  }
  if (!args.quiet) process.stdout.write(`${summaryLine(result)}\n`);
  if (result.status === 'failed') throw result.fatal;
  // Interrupted without a signal: the lease was lost to another process, which goes on with the work.
  if (result.status === 'interrupted' && !signal.aborted) {
    process.stderr.write(`${result.error ?? 'the sync lock was lost'}\n`);
    return EXIT.LOCKED;
  }
  if (result.status === 'partial') {
    process.stderr.write(`${result.error ?? 'some issues failed'}\n`);
    return EXIT.PARTIAL;
  }
  return EXIT.OK;
}
