/**
 * SQLite work is synchronous; the core's ports answer with promises (so a networked database fits the
 * same ports). This turns a synchronous call into that answer, its exception included as a rejection.
 * Database faults become one-line errors naming the fix.
 */
import { databaseFault } from './faults.js';

export function settled<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(databaseFault(err) ?? (err instanceof Error ? err : new Error(String(err))));
  }
}
