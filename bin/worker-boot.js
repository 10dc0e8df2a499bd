// Entry of the project's worker threads (started by src/db/worker.ts). Imports the module named in
// workerData.entry: compiled JavaScript from dist/, or a TypeScript source (tests, the tsx fallback of
// bin/speakup-sync.js), for which tsx is registered in this thread first (loader hooks do not carry over
// into workers).
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
