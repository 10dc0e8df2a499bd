/** The run counters both run logs store, one column each; the one list of them. */
import type { RunCounts } from '../sync/ports.js';

export const RUN_COUNT_KEYS = [
  'listed',
  'fetched',
  'unchanged',
  'deleted',
  'failed',
  'requests',
  'retries',
  'throttled',
  'purged',
  'unconfirmed',
  'newPaths',
  'lostPaths',
  'remapped',
] as const satisfies readonly (keyof RunCounts)[];
