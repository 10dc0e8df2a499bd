/**
 * What the opening of a run shows of the server (throttle.ts): the requests sent unpaced before the
 * first refusal, how many it accepted (what it stores: a window's quota, a burst), which it refused, and
 * how far apart it accepted them.
 */
import * as tuning from './throttle-tuning.js';

export class Opening {
  /** Answers accepted before the first refusal (Infinity until one). */
  private accepted = Infinity;
  private readonly refusedAt: number[] = [];

  /** A refusal: the first one closes the opening, with the answers accepted until then. */
  close(accepted: number): void {
    if (this.accepted === Infinity) this.accepted = accepted;
  }

  /**
   * A server that accepted no more than the first requests sent together before refusing one stores
   * nothing (it holds a single request): it refuses an unpaced opening whatever its limit.
   */
  get storesNothing(): boolean {
    return this.accepted <= tuning.INITIAL_WINDOW;
  }

  /** An answer to an unpaced request was a refusal. */
  refused(now: number): void {
    this.refusedAt.push(now);
  }

  /** Refusals of unpaced requests since `since` when the server stores nothing (else they count). */
  refusalsToDiscount(since: number): number {
    return this.storesNothing ? this.refusedAt.filter((t) => t >= since).length : 0;
  }

  /**
   * A store (a window's quota, a burst) carried the fast first probe far past the limit, then ran out:
   * refusals (over the last second) as many as a fall makes. They may be the opening's own, within a
   * second of a quick probe: a server that stores nothing has nothing to carry it.
   */
  carriedPastLimit(refused: { count: number; share: number }): boolean {
    if (this.storesNothing) return false;
    return refused.count >= tuning.DROP_MIN_REFUSALS && refused.share >= tuning.DROP_MIN_SHARE;
  }

  /**
   * The rate an acceptance of an unpaced request shows, after a refusal, from a server that stores
   * nothing: its single request had to refill since the last acceptance, so the spacing of the two is at
   * most its interval. Undefined when it shows none.
   */
  spacedRate(now: number, lastAcceptedAt: number, lastRefusalAt: number): number | undefined {
    if (!this.storesNothing || !(lastRefusalAt > lastAcceptedAt) || !(now > lastAcceptedAt)) return undefined;
    return 1000 / (now - lastAcceptedAt);
  }
}
