/**
 * `speakup-sync inspect [--sample N] [--json]`: what the configured SpeakUp really does, before the first
 * sync. Logs in, probes the list and a sample of details, and prints one finding per line with the setting
 * to change. Prints no value of any issue and never opens the database. Exit 0 when nothing is a
 * problem, 1 otherwise.
 */
import type { Logger } from 'pino';
import type { Config } from '../../config/types.js';
import { renderInspect } from '../../inspect/render.js';
import { runInspect } from '../../inspect/run.js';
import { DEFAULT_FIELD_MAP, type FieldMap } from '../../sync/field-map.js';
import { createTokenProvider } from '../compose.js';
import { EXIT } from '../exit-codes.js';

export interface InspectArgs {
  json: boolean;
  /** Details to sample (default 20). */
  sample?: number;
  /** The field map in effect (SPEAKUP_FIELD_MAP); default the built-in one. */
  fieldMap?: FieldMap;
}

/** Default size of the detail sample. */
export const DEFAULT_SAMPLE = 20;

export async function inspectCommand(
  config: Config,
  log: Logger,
  args: InspectArgs,
  signal?: AbortSignal,
): Promise<number> {
  const tokens = createTokenProvider(config, log);
  try {
    const report = await runInspect(config, tokens, {
      sample: args.sample ?? DEFAULT_SAMPLE,
      fieldMap: args.fieldMap ?? DEFAULT_FIELD_MAP,
      signal,
    });
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderInspect(report));
    return report.ok ? EXIT.OK : EXIT.FATAL;
  } finally {
    await tokens.close?.();
  }
}
