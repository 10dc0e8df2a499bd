/**
 * Sane bounds on what a server says about waiting: a `Retry-After` longer than the run may stall, an
 * HTTP-date in the past, or a `RateLimit-Policy` slower than one request a minute is capped, not obeyed,
 * and reported once per kind. An HTTP-date is read against the answer's own `Date` header when there is
 * one (retry-after.ts), so a server clock that is off by an hour does not turn into an hour's pause.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { retryAfterDelta } from '../retry/retry-after.js';

export type BoundsWarningKind = 'retry-after-too-long' | 'retry-after-past' | 'policy-too-slow';

export interface BoundsWarning {
  kind: BoundsWarningKind;
  /** The header value as the server sent it. */
  value: string;
  message: string;
}

/** The slowest pace a server can impose: one request a minute. */
const MIN_POLICY_RATE = 1 / 60;
/** An HTTP-date this far behind is in the past, beyond the rounding of its one-second resolution. */
const PAST_SLACK_MS = 1000;

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

export class ServerBounds {
  private readonly warned = new Set<BoundsWarningKind>();

  constructor(
    private readonly maxPauseMs: number,
    private readonly warn?: (w: BoundsWarning) => void,
  ) {}

  /**
   * The wait a 429 asks for, bounded: `parsedMs` as the HTTP client read it, corrected for the server's
   * clock and capped. Undefined when there is none (or it lies in the past).
   */
  retryAfter(headers: IncomingHttpHeaders | undefined, parsedMs: number | undefined, now: number): number | undefined {
    const raw = first(headers?.['retry-after'])?.trim();
    const delta = raw === undefined ? undefined : retryAfterDelta(raw, now, first(headers?.date));
    if (raw !== undefined && delta !== undefined && delta < -PAST_SLACK_MS) {
      this.once(
        'retry-after-past',
        raw,
        `the server's Retry-After ${raw} lies in the past; ignored (backing off instead)`,
      );
      return undefined;
    }
    const ms = delta === undefined ? parsedMs : Math.max(0, delta);
    return ms === undefined ? undefined : this.cap(ms, raw ?? String(ms));
  }

  /** Requests per second a `RateLimit-Policy` allows (`q;w=` or `"name";q=;w=`), at least one a minute. */
  policyRate(raw: string | string[] | undefined): number | undefined {
    const v = first(raw);
    if (v === undefined) return undefined;
    const m = /^\s*(?:"[^"]*"\s*;\s*q=)?(\d+(?:\.\d+)?)\s*(?:;.*?\bw=(\d+(?:\.\d+)?))?/.exec(v);
    if (!m) return undefined;
    const perSecond = Number(m[1]) / Number(m[2] ?? 1);
    if (!Number.isFinite(perSecond) || perSecond <= 0) return undefined;
    const floor = Math.max(MIN_POLICY_RATE, 1000 / this.maxPauseMs);
    if (perSecond >= floor) return perSecond;
    this.once(
      'policy-too-slow',
      v,
      `the server's RateLimit-Policy ${v} allows under one request a minute (or per SPEAKUP_MAX_RETRY_TIME_MS); pacing at ${+floor.toFixed(4)} requests/s instead`,
    );
    return floor;
  }

  private cap(ms: number, raw: string): number {
    if (ms <= this.maxPauseMs) return ms;
    this.once(
      'retry-after-too-long',
      raw,
      `the server's Retry-After ${raw} asks for ${Math.round(ms / 1000)} s, longer than SPEAKUP_MAX_RETRY_TIME_MS; waiting ${Math.round(this.maxPauseMs / 1000)} s at most`,
    );
    return this.maxPauseMs;
  }

  private once(kind: BoundsWarningKind, value: string, message: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    this.warn?.({ kind, value, message });
  }
}
