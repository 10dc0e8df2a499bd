/**
 * Reading `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
 *
 * An HTTP-date is the server's clock, read here against ours. When the answer carries a `Date` header,
 * the difference between the two clocks is taken from it, but only beyond that header's own resolution:
 * `Date` has whole seconds, so at the answer the server's clock lies within [date, date + 1 s), and a
 * clock of ours inside that span is no evidence of a difference. Taking the truncated `Date` as the
 * server's exact time would add up to a second to every wait (a 1 s window's reset read as a 2 s pause).
 */

const DELAY_SECONDS = /^\d+(\.\d+)?$/;

/** Milliseconds the server's clock is ahead of `now` (negative: behind), as its `Date` header shows. */
export function serverClockOffset(date: string | undefined, now: number): number {
  const at = date === undefined ? Number.NaN : Date.parse(date);
  if (Number.isNaN(at)) return 0;
  if (at > now) return at - now;
  if (at + 1000 < now) return at + 1000 - now;
  return 0;
}

/**
 * The wait a `Retry-After` value asks for, in ms, before flooring at zero: negative for an HTTP-date in
 * the past. `serverDate` is the answer's `Date` header, if any. Undefined when the value is neither form.
 */
export function retryAfterDelta(value: string | undefined, now: number, serverDate?: string): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (DELAY_SECONDS.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return at - now - serverClockOffset(serverDate, now);
}

/** The wait `Retry-After` asks for, in ms (an HTTP-date in the past: 0), or undefined. */
export function parseRetryAfter(
  value: string | undefined,
  now: number = Date.now(),
  serverDate?: string,
): number | undefined {
  const delta = retryAfterDelta(value, now, serverDate);
  return delta === undefined ? undefined : Math.max(0, delta);
}
