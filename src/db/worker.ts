/**
 * The one way this program starts a worker thread: bin/worker-boot.js imports a module of this tree,
 * either compiled (dist/…/name.js) or, when the caller itself runs from TypeScript sources (tests, the
 * tsx fallback of bin/speakup-sync.js), the source (src/…/name.ts) with tsx registered in the thread.
 * Worker modules are ordinary type-checked modules; they read their input from workerData.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

// Same depth from src/db/ and dist/db/.
const BOOT = new URL('../../bin/worker-boot.js', import.meta.url);

/**
 * Starts the module `name` (a path relative to `from` without its extension; `from` is the caller's
 * import.meta.url) with `input` as its workerData.
 */
export function startModuleWorker(
  from: string,
  name: string,
  input: object,
  options: Omit<WorkerOptions, 'workerData'> = {},
): Worker {
  const entry = new URL(`${name}${from.endsWith('.ts') ? '.ts' : '.js'}`, from).href;
  return new Worker(BOOT, { ...options, workerData: { ...input, entry } });
}
