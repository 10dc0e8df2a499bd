/** The run's verdicts, as pure functions: may it delete, what does it delete, how did it end. */
import { describeError, SyncError } from '../errors.js';
import type { DeletionCandidates, FinalStatus, ListEnd } from './ports.js';

/** How the listing ended: `complete` when the source said it was over, `clean` when no page had a hole or an item without an id. */
export interface ListingVerdict {
  complete: boolean;
  clean: boolean;
  end?: ListEnd;
  /** Why a complete listing is not clean, for the run's log. */
  warning?: string;
}

/**
 * Whether this run may soft-delete: only after a complete and clean listing by a run that was not
 * stopped. An item without an id or a page with a hole could hide any issue, so it forbids them.
 */
export type DeletionGate = 'open' | 'incomplete' | 'unclean' | 'stopped';

export function deletionGate(verdict: ListingVerdict, stopped: boolean): DeletionGate {
  if (!verdict.complete) return 'incomplete';
  if (!verdict.clean) return 'unclean';
  return stopped ? 'stopped' : 'open';
}

/** The mass-delete guard: refuse to delete more than this share of the active issues, unless allowed. */
export interface MassDeleteGuard {
  maxDeleteShare: number;
  allowMassDelete: boolean;
}

export type DeletionDecision =
  | { kind: 'none' }
  | { kind: 'delete'; missing: number }
  | { kind: 'refuse'; missing: number; active: number; error: string };

/** What to do with the issues a complete listing no longer holds. */
export function decideDeletions(c: DeletionCandidates, guard: MassDeleteGuard): DeletionDecision {
  if (c.missing <= 0) return { kind: 'none' };
  if (c.missing > guard.maxDeleteShare * c.active && !guard.allowMassDelete) {
    const share = Math.round(guard.maxDeleteShare * 100);
    const error = `refused to soft-delete ${c.missing} of ${c.active} issues (more than ${share}%): the listing may be wrong; if these deletions are real, run once with --allow-mass-delete`;
    return { kind: 'refuse', missing: c.missing, active: c.active, error };
  }
  return { kind: 'delete', missing: c.missing };
}

/** What the run knows when it ends. */
export interface RunEnding {
  /** The error that stopped the run, if any. */
  fatal: unknown;
  /** The caller stopped the run, or the run lost its lock. */
  interrupted: boolean;
  /** Another process took the run lock over while this run went on. */
  lostLease?: boolean;
  /** Why the lease was lost, as the lock said (on SQLite only that it was taken over). */
  lostReason?: string | undefined;
  failed: number;
  /** Issues stored. */
  fetched?: number;
  /** Issues missing from the listing whose deletion the source did not confirm. */
  unconfirmed?: number;
  /** The first per-item failure's message. */
  firstFailure: string | undefined;
  /** Why deletions were refused, if they were. */
  refusal: string | undefined;
}

/** The run's status and its one-line error (undefined when it succeeded). */
export function finalStatus(e: RunEnding): { status: FinalStatus; error: string | undefined } {
  if (e.fatal !== undefined) return { status: 'failed', error: describeError(e.fatal) };
  if (e.lostLease) {
    const why =
      e.lostReason ??
      'the sync lock was taken over by another process while this run went on (a pause longer than SPEAKUP_LOCK_STALE_AFTER?)';
    return { status: 'interrupted', error: `${why}: this run stopped, kept what it had written and deleted nothing` };
  }
  if (e.interrupted) return { status: 'interrupted', error: 'stopped by signal before the run finished' };
  if (e.refusal !== undefined) return { status: 'partial', error: e.refusal };
  const unconfirmed = e.unconfirmed ?? 0;
  if (unconfirmed > 0 && e.failed === 0) {
    return {
      status: 'partial',
      error: `${unconfirmed} issue${unconfirmed === 1 ? '' : 's'} missing from the listing still answered (or could not be asked), so ${unconfirmed === 1 ? 'it was' : 'they were'} kept`,
    };
  }
  if (e.failed > 0) {
    const all = e.fetched === 0 ? ', none stored' : '';
    return {
      status: 'partial',
      error: `${e.failed} issue${e.failed === 1 ? '' : 's'} failed${all}; they are retried next run (first: ${e.firstFailure ?? ''})`,
    };
  }
  return { status: 'succeeded', error: undefined };
}

/** The lock's own account of a lost lease, when it gave a specific one (PostgreSQL names the new holder). */
export function lostReason(lost: AbortSignal | undefined): string | undefined {
  const reason: unknown = lost?.reason;
  return reason instanceof SyncError ? reason.message : undefined;
}
