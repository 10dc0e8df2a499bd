/**
 * A run's internal stop: the caller's signal, or a fatal error of the run's own. The first fatal error
 * is kept for the result; errors that follow a stop are its consequences, not causes.
 */
import { setMaxListeners } from 'node:events';

export interface RunStop {
  readonly signal: AbortSignal;
  /** Stops the run because of `err`. */
  die(err: unknown): void;
  /** The error that stopped the run, if one did (undefined after a stop by the caller's signal). */
  readonly fatal: unknown;
  /** Stops following the caller's signal. */
  dispose(): void;
}

export function createRunStop(outer?: AbortSignal): RunStop {
  const stop = new AbortController();
  // Every request in flight listens on this signal: more than Node's default warning threshold of 10.
  setMaxListeners(0, stop.signal);
  const onOuterAbort = (): void => stop.abort(outer?.reason);
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  let fatal: unknown;
  return {
    signal: stop.signal,
    die(err) {
      if (fatal === undefined && !stop.signal.aborted) fatal = err;
      stop.abort(err);
    },
    get fatal() {
      return fatal;
    },
    dispose: () => outer?.removeEventListener('abort', onOuterAbort),
  };
}
