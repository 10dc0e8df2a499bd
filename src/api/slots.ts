/**
 * The requests a throttle lets be in flight at once (throttle.ts): a window that may change as the
 * throttle learns, with callers queued in order until room opens.
 */
import { abortReason } from './pacer.js';

export class Slots {
  /** Slots taken and not given back. */
  inFlight = 0;
  private readonly waiters: Array<() => void> = [];

  /** `window` gives the slots allowed now. */
  constructor(private readonly window: () => number) {}

  /** Resolves once a slot is taken for the caller. */
  async take(signal?: AbortSignal): Promise<void> {
    while (this.inFlight >= this.window()) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(abortReason(signal));
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
    this.inFlight++;
  }

  /** Gives a slot back; the caller wakes the waiters (wake) once it has learnt what changes the window. */
  give(): void {
    this.inFlight--;
  }

  /** Wakes as many waiters as the window now has room for. */
  wake(): void {
    for (let room = this.window() - this.inFlight; room > 0 && this.waiters.length > 0; room--)
      this.waiters.shift()?.();
  }
}
