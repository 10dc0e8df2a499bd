/** Who this process is, as recorded in sync_runs and sync_lock. */
import { hostname } from 'node:os';

/** A process on a host; the defaults describe the current process. */
export interface ProcessIdentity {
  pid: number;
  host: string;
}

/** The current process's identity, with overrides (tests pose as other processes). */
export function processIdentity(overrides: Partial<ProcessIdentity> = {}): ProcessIdentity {
  return { pid: overrides.pid ?? process.pid, host: overrides.host ?? hostname() };
}

/** True while a process with this pid exists on this host (EPERM: it exists, owned by someone else). */
export function isProcessAlive(pid: number): boolean {
  // kill(0 or negative) would signal a process group, never a liveness test.
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
