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

  /**
   * The span over which refusals at the pace count as repeated: a server that stores nothing refuses
   * now and then at any pace (two requests arriving closer than its interval), so only a second's worth.
   */
  get repeatedMs(): number {
    return this.storesNothing ? tuning.MEASURE_MS : tuning.REPEATED_MS;
  }

  /** An answer to an unpaced request was a refusal. */
  refused(now: number): void {
    this.refusedAt.push(now);
  }

  /**
   * Of `refused` (a span of the acceptance log), the refusals that say something of the pace: less the
   * unpaced opening's from a server that stores nothing, no sign that the limit fell below the pace (a
   * window refuses them once its quota is spent: they count).
   */
  atPace(refused: { count: number; since: number }): number {
    return this.storesNothing ? refused.count - this.refusedSince(refused.since) : refused.count;
  }

  /**
   * A store (a window's quota, a burst) carried the fast first probe far past the limit, then ran out:
   * refusals (over the last second) as many as a fall makes, besides the opening's own. A server that
   * stores nothing has nothing to carry it.
   */
  carriedPastLimit(refused: { count: number; share: number; since: number }): boolean {
    if (this.storesNothing) return false;
    // The opening's own refusals end its store, not the probe's climb: a probe that meets the limit
    // within a second of them has not been carried anywhere.
    const own = this.refusedSince(refused.since);
    const count = refused.count - own;
    const answers = refused.share > 0 ? refused.count / refused.share - own : 0;
    return count >= tuning.DROP_MIN_REFUSALS && count >= tuning.DROP_MIN_SHARE * answers;
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

  /** Refusals of the opening's unpaced requests answered since `since`. */
  private refusedSince(since: number): number {
    return this.refusedAt.filter((t) => t >= since).length;
  }
}
