/**
 * Accepted answers per slice of time, with how much of each slice the client was active (had a request in
 * flight or waiting for its paced start), so the accepted rate over the last seconds of activity can be
 * read without idle time (waits, a slow listing) passing for a lower server limit.
 */

const SLICE_MS = 100;
const SLICES = 200;

function bump(a: Float64Array, slice: number, by: number): void {
  const i = slice % SLICES;
  a[i] = (a[i] ?? 0) + by;
}

export class AcceptanceLog {
  private readonly counts = new Float64Array(SLICES);
  private readonly refusals = new Float64Array(SLICES);
  private readonly activeMs = new Float64Array(SLICES);
  /** Index of the slice `lastAt` falls in, counted from the epoch. */
  private slice = -1;
  private lastAt: number | undefined;
  /** Accepted answers in all, and when the last came. */
  total = 0;
  lastAcceptedAt = -Infinity;

  /** Books the time since the last call as active or idle, moving to the slice of `now`. */
  advance(now: number, active: boolean): void {
    const from = this.lastAt ?? now;
    this.lastAt = Math.max(from, now);
    const target = Math.floor(this.lastAt / SLICE_MS);
    if (this.slice < 0) this.slice = target;
    let t = from;
    while (this.slice < target) {
      const end = (this.slice + 1) * SLICE_MS;
      if (active) bump(this.activeMs, this.slice, end - t);
      t = end;
      this.slice++;
      if (target - this.slice >= SLICES) {
        // A gap longer than the log: only its last slices remain.
        this.slice = target - SLICES + 1;
        t = this.slice * SLICE_MS;
      }
      this.counts[this.slice % SLICES] = 0;
      this.refusals[this.slice % SLICES] = 0;
      this.activeMs[this.slice % SLICES] = 0;
    }
    if (active) bump(this.activeMs, this.slice, this.lastAt - t);
  }

  /** A refused answer at `now`. */
  refuse(now: number): void {
    this.advance(now, true);
    bump(this.refusals, this.slice, 1);
  }

  /**
   * Refusals among the answers of the last `horizonMs` of active time: how many, their share, and the
   * time the counted slices start from.
   */
  refused(horizonMs: number): { count: number; share: number; since: number } {
    let ok = 0;
    let refused = 0;
    let active = 0;
    let i = 0;
    for (; i < SLICES && active < horizonMs && this.slice - i >= 0; i++) {
      const k = (this.slice - i) % SLICES;
      ok += this.counts[k] as number;
      refused += this.refusals[k] as number;
      active += this.activeMs[k] as number;
    }
    const since = (this.slice - i + 1) * SLICE_MS;
    return { count: refused, share: ok + refused > 0 ? refused / (ok + refused) : 0, since };
  }

  /** An accepted answer at `now`. */
  add(now: number): void {
    this.advance(now, true);
    bump(this.counts, this.slice, 1);
    this.total++;
    this.lastAcceptedAt = now;
  }

  /**
   * Accepted per second over the most recent `horizonMs` of active time (whole slices, up to the log's
   * length, up to the last `advance`); undefined when less than `minMs` of active time is on record.
   * With `withRefused`, refused answers count too: the rate the server was sent.
   */
  rate(horizonMs: number, minMs: number, withRefused = false): number | undefined {
    let count = 0;
    let active = 0;
    for (let i = 0; i < SLICES && active < horizonMs; i++) {
      const k = (this.slice - i) % SLICES;
      if (this.slice - i < 0) break;
      count += (this.counts[k] as number) + (withRefused ? (this.refusals[k] as number) : 0);
      active += this.activeMs[k] as number;
    }
    return active >= minMs ? (count * 1000) / active : undefined;
  }
}
