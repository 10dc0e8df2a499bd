/**
 * Deletions confirmed one by one: an issue a complete listing no longer holds is marked deleted only
 * when its detail answers 404. A listing can miss a live issue (pages that moved while it ran, a server
 * that skipped one), and a deletion recorded wrongly shows in the history as an event that never
 * happened. The requests go through the source, so they are throttled like every other.
 */
import type { Logger } from 'pino';
import { AuthError, describeError } from '../errors.js';
import type { IssuesSource } from './ports.js';

export interface ConfirmOptions {
  source: Pick<IssuesSource, 'isGone'>;
  ids: readonly number[];
  concurrency: number;
  signal: AbortSignal;
  log: Logger;
}

/** Which of `ids` are gone; the rest (answered, or could not be asked) are `unconfirmed`. */
export interface Confirmation {
  gone: number[];
  unconfirmed: number;
}

/** Asks the source about each id, `concurrency` at a time; stops asking once `signal` aborts. */
export async function confirmDeletions(o: ConfirmOptions): Promise<Confirmation> {
  const gone: number[] = [];
  let unconfirmed = 0;
  let next = 0;
  let authError: AuthError | undefined;
  const worker = async (): Promise<void> => {
    while (next < o.ids.length && !o.signal.aborted && authError === undefined) {
      const id = o.ids[next++]!;
      try {
        if (await o.source.isGone(id, o.signal)) gone.push(id);
        else {
          unconfirmed++;
          o.log.warn({ issueId: id }, `issue ${id} is missing from the listing but its detail still answers: kept`);
        }
      } catch (err) {
        if (err instanceof AuthError) authError = err;
        unconfirmed++;
        if (!o.signal.aborted)
          o.log.warn(
            { issueId: id, err: describeError(err) },
            `issue ${id} is missing from the listing and its deletion could not be confirmed: kept`,
          );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, o.ids.length)) }, worker));
  if (authError !== undefined) throw authError;
  // Ids not asked (stopped) are kept too.
  unconfirmed += o.ids.length - gone.length - unconfirmed;
  return { gone, unconfirmed };
}
