/**
 * `speakup-sync sync --remap`: maps every stored issue again from its detail JSON with the current field
 * map (SPEAKUP_FIELD_MAP), under the run lock, without a request to SpeakUp. Prints how many.
 */
import type { Logger } from 'pino';
import type { Config } from '../../config/types.js';
import { DEFAULT_FIELD_MAP } from '../../sync/field-map.js';
import { runRemap } from '../../sync/remap.js';
import { withRunLock } from '../../sync/run-lock.js';
import { openMirror } from '../compose.js';
import { EXIT } from '../exit-codes.js';

export async function remapCommand(
  config: Config,
  log: Logger,
  args: { wait: boolean; quiet: boolean },
  signal: AbortSignal,
): Promise<number> {
  const db = await openMirror(config, log);
  try {
    const result = await withRunLock(db.lock, { wait: args.wait, signal, log }, () =>
      runRemap(db.store, config.fieldMap ?? DEFAULT_FIELD_MAP, log),
    );
    const failed = result.failures.length;
    if (!args.quiet) {
      process.stdout.write(
        `run ${result.runId}: remapped ${result.remapped} issue(s) from their stored detail JSON${failed > 0 ? `, ${failed} could not be remapped` : ''}\n`,
      );
    }
    if (failed > 0) {
      process.stderr.write(`${result.failures[0]!.message}\n`);
      return EXIT.PARTIAL;
    }
    return EXIT.OK;
  } finally {
    await db.close();
  }
}
