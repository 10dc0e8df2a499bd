/** The SpeakUp issues API as the sync core sees it, and its HTTP implementation. */
import type { Logger } from 'pino';
import type { TokenProvider } from '../auth/token-provider.js';
import type { ApiConfig, RetryConfig } from '../config/types.js';
import { HttpError } from '../errors.js';
import { retryPolicy } from '../retry/policy.js';
import { HttpClient, type BodyAdmission } from './http-client.js';
import { listIssuePages, type ListEnd, type ListPage } from './paging.js';
import { Throttle } from './throttle.js';

export interface ApiStats {
  requests: number;
  retries: number;
  throttled: number;
  unauthorized: number;
}

/** Bodies larger than this are handed over as bytes, not text. */
const LARGE_BODY_BYTES = 64 * 1024;

/** What the sync needs from the API; tests and `--load`-style tools can provide their own. */
export interface IssuesApi {
  listPages(signal?: AbortSignal): AsyncGenerator<ListPage, ListEnd>;
  /**
   * The detail's JSON text and request path, unparsed: parsing and validation are the writer's job.
   * `admit` is awaited before the body is read, with its announced size (0: not announced).
   */
  getIssue(
    id: number,
    signal?: AbortSignal,
    admit?: BodyAdmission,
  ): Promise<{ raw: string | Uint8Array; path: string }>;
  /** True when the detail answers 404, false when it answers; throws for any other failure. */
  isGone(id: number, signal?: AbortSignal): Promise<boolean>;
  stats(): ApiStats;
  close(): void;
}

/** Build the HTTP implementation from configuration. */
export function createHttpIssuesApi(api: ApiConfig, retry: RetryConfig, tokens: TokenProvider, log: Logger): IssuesApi {
  const throttle = new Throttle(api.concurrency, Date.now, {
    maxPauseMs: retry.maxRetryTimeMs,
    warn: (w) => log.warn({ kind: w.kind, value: w.value }, w.message),
  });
  const client = new HttpClient({
    baseUrl: api.baseUrl,
    headers: { [api.clientHeader.toLowerCase()]: api.clientSystem },
    tokens,
    timeoutMs: retry.timeoutMs,
    retry: retryPolicy(retry),
    throttle,
    log,
  });
  const getJson = (relative: string, signal?: AbortSignal) => client.getJson(relative, signal);
  return {
    listPages: (signal) =>
      listIssuePages(
        getJson,
        { pageSize: api.pageSize, pageParam: api.pageParam, pageSizeParam: api.pageSizeParam },
        signal,
      ),
    getIssue: async (id, signal, admit) => {
      const res = await client.get(`v1/public/issues/${id}`, signal, api.maxDetailBytes, admit);
      // A large body stays bytes: the writer decodes it where it stores it (one copy fewer here).
      return { raw: res.body.length > LARGE_BODY_BYTES ? res.body : res.body.toString('utf8'), path: res.path };
    },
    isGone: async (id, signal) => {
      try {
        await client.get(`v1/public/issues/${id}`, signal, api.maxDetailBytes);
        return false;
      } catch (err) {
        if (err instanceof HttpError && err.status === 404) return true;
        throw err;
      }
    },
    stats: () => ({ ...client.stats, throttled: throttle.stats.throttled }),
    close: () => client.close(),
  };
}
