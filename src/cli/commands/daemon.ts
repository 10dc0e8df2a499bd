/**
 * `speakup-sync daemon`: runs on SPEAKUP_SCHEDULE until SIGINT/SIGTERM. The token provider and the
 * database connection live as long as the daemon; each run takes the cross-process lock, and a run that
 * finds it held (a manual sync) is skipped with a warning. With SPEAKUP_METRICS_PORT set it also serves
 * /healthz and /metrics, fed from each run's result.
 */
import type { Logger } from 'pino';
import type { Config } from '../../config/types.js';
import { LockedError } from '../../errors.js';
import { createSyncMetrics } from '../../sync/metrics.js';
import { runSync } from '../../sync/run-sync.js';
import { withRunLock } from '../../sync/run-lock.js';
import { startScheduler } from '../../sync/scheduler.js';
import type { TokenProvider } from '../../auth/token-provider.js';
import type { SyncMetrics } from '../../sync/metrics.js';
import type { RunTrigger } from '../../sync/types.js';
import { createApi, createTokenProvider, openMirror, type Mirror } from '../compose.js';
import { EXIT } from '../exit-codes.js';
import { startHealthServer, type HealthServer } from '../health-server.js';

export interface DaemonArgs {
  allowMassDelete: boolean;
  /** Override SPEAKUP_RUN_AT_START. */
  runAtStart?: boolean;
}

/** Runs until `signal` aborts; resolves with the exit code once the run in flight has finished. */
export async function daemonCommand(
  config: Config,
  log: Logger,
  args: DaemonArgs,
  signal: AbortSignal,
): Promise<number> {
  const db = await openMirror(config, log);
  // Seeded from the database, so a restarted daemon is healthy as long as the mirror is fresh, and
  // still alerts on a streak of partial runs that stored nothing.
  const metrics = createSyncMetrics({
    lastSuccessAt: await db.lastSuccessAt(),
    issues: await db.countIssues(),
    emptyPartialRuns: (await db.emptyPartialRuns?.(config.partialAlertAfter)) ?? 0,
  });
  let health: HealthServer | undefined;
  if (config.metrics.port !== undefined) {
    try {
      health = await startHealthServer({
        host: config.metrics.host,
        port: config.metrics.port,
        metrics,
        staleAfterMs: config.staleAfterMs,
        partialAlertAfter: config.partialAlertAfter,
        log,
      });
    } catch (err) {
      await db.close();
      throw err;
    }
  }
  const tokens = createTokenProvider(config, log);
  const run = runner({ config, log, args, db, metrics, tokens });
  const scheduler = startScheduler({
    cron: config.schedule.cron,
    timezone: config.schedule.timezone,
    runAtStart: args.runAtStart ?? config.schedule.runAtStart,
    log,
    run: (trigger, runSignal) => run(trigger, runSignal),
  });
  // The reconcile refetches every detail: content cleared at the source without a new updatedAt goes too.
  const reconcile = startScheduler({
    cron: config.privacy.reconcileCron,
    timezone: config.schedule.timezone,
    runAtStart: false,
    log: log.child({ schedule: 'reconcile' }),
    run: (_trigger, runSignal) => run('reconcile', runSignal),
  });
  log.info({ schedule: config.schedule.cron, timezone: config.schedule.timezone, db: config.dbPath }, 'daemon started');
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  log.info('stopping: finishing the write in flight');
  await Promise.all([scheduler.stop(), reconcile.stop()]);
  await health?.close();
  await tokens.close?.();
  await db.close();
  log.info('daemon stopped');
  return EXIT.OK;
}

interface RunnerDeps {
  config: Config;
  log: Logger;
  args: DaemonArgs;
  db: Mirror;
  metrics: SyncMetrics;
  tokens: TokenProvider;
}

/**
 * One daemon run under the run lock. A reconcile refetches every detail and waits for a run in flight
 * (it comes once a week: skipping it would leave cleared content for another week); other runs skip.
 */
function runner({ config, log, args, db, metrics, tokens }: RunnerDeps) {
  return async (trigger: RunTrigger, runSignal: AbortSignal): Promise<void> => {
    const reconcile = trigger === 'reconcile';
    // A fresh API client per run: its counters are the run's, its pooled connections are closed after.
    const api = createApi(config, tokens, log);
    const started = Date.now();
    try {
      const result = await withRunLock(db.lock, { wait: reconcile, signal: runSignal, log }, (lease) => {
        metrics.runStarted();
        return db.withRunThreads((writer) =>
          runSync(
            { api, store: db.store, writer, log, ...(config.fieldMap ? { fieldMap: config.fieldMap } : {}) },
            {
              full: reconcile,
              concurrency: config.api.concurrency,
              trigger,
              maxDeleteShare: config.maxDeleteShare,
              allowMassDelete: args.allowMassDelete,
              signal: runSignal,
              lease,
              ...purgeOption(config),
            },
          ),
        );
      });
      metrics.runFinished(result, new Date(), await db.countIssues());
      if (result.status === 'failed') log.error({ runId: result.runId }, result.error ?? 'run failed');
    } catch (err) {
      if (err instanceof LockedError) {
        metrics.runSkipped();
        log.warn(err.message);
      } else {
        metrics.runCrashed(new Date(), Date.now() - started);
        throw err;
      }
    } finally {
      api.close();
    }
  };
}

/** The run option of SPEAKUP_PURGE_DELETED_AFTER (absent when off). */
export function purgeOption(config: Config): { purgeDeletedAfterMs?: number } {
  const ms = config.privacy.purgeDeletedAfterMs;
  return ms === undefined ? {} : { purgeDeletedAfterMs: ms };
}
