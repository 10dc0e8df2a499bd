/** What the API client needs from any authentication method: a bearer token that is valid right now. */
export interface TokenProvider {
  /**
   * A token valid for at least the provider's safety margin. Refreshes or logs in when needed; concurrent
   * callers share one renewal (never parallel logins).
   */
  getToken(signal?: AbortSignal): Promise<string>;
  /** The server refused `token` (401): the next getToken renews, unless a newer token is already in use. */
  invalidate(token: string): void;
  /** Counters for the run log and metrics. */
  readonly stats: { logins: number; refreshes: number };
  /** Release what the provider holds (Amplify signs out). Optional; call once, at the end. */
  close?(): Promise<void>;
}

/** How long before expiry a token is renewed: 60 s, or a quarter of a short lifetime (tests use seconds). */
export function renewMarginMs(lifetimeMs: number): number {
  return Math.min(60_000, Math.max(0, lifetimeMs / 4));
}
