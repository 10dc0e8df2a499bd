/**
 * Counters of the emulated SpeakUp API: what tests and the benchmark assert on ("the second sync fetched
 * only the 3 changed details", "every injected fault was retried").
 */

export type RequestKind = 'list' | 'detail' | 'other';
/** Faults the emulator injected: `failId` is a 500 from `failIds`, `shrink` a page cut by `shrinkNextPages`. */
export type FaultKind = '5xx' | 'reset' | 'malformed' | 'stall' | 'failId' | 'shrink';

export interface ApiCounters {
  /** Requests received, by route. */
  requests: Record<RequestKind, number>;
  /** Answers sent, by HTTP status (resets and stalls send none). */
  byStatus: Record<number, number>;
  faults: Record<FaultKind, number>;
  /** 429 answers from the rate limiter (also counted in byStatus[429]). */
  rateLimited: number;
  /** Response body bytes sent. */
  bytesOut: number;
  /** Detail requests per issue id (whatever their outcome). */
  detailById: Map<number, number>;
  /** Sum of `requests`. */
  total(): number;
  /** Zeroes everything in place (references held by tests stay valid). */
  reset(): void;
}

/** Fresh counters at zero. */
export function createApiCounters(): ApiCounters {
  const counters: ApiCounters = {
    requests: { list: 0, detail: 0, other: 0 },
    byStatus: {},
    faults: { '5xx': 0, reset: 0, malformed: 0, stall: 0, failId: 0, shrink: 0 },
    rateLimited: 0,
    bytesOut: 0,
    detailById: new Map(),
    total: () => counters.requests.list + counters.requests.detail + counters.requests.other,
    reset() {
      for (const k of Object.keys(counters.requests) as RequestKind[]) counters.requests[k] = 0;
      for (const k of Object.keys(counters.byStatus)) delete counters.byStatus[Number(k)];
      for (const k of Object.keys(counters.faults) as FaultKind[]) counters.faults[k] = 0;
      counters.rateLimited = 0;
      counters.bytesOut = 0;
      counters.detailById.clear();
    },
  };
  return counters;
}
