/**
 * The HTTP boundary: GET JSON with the bearer token and client header, a timeout on every request,
 * keep-alive connection pooling, retries (retry/with-retry.ts), one token renewal on 401, and shared flow
 * control (api/throttle.ts). Built on node:http(s) rather than fetch: it costs less CPU per request, and
 * a sync makes one request per changed issue. TLS certificate checks are never turned off.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import type { TokenProvider } from '../auth/token-provider.js';
import { abortedError, HttpError, NetworkError, type SyncError } from '../errors.js';
import { parseJsonBody } from '../json-body.js';
import type { RetryPolicy } from '../retry/policy.js';
import { parseRetryAfter } from '../retry/retry-after.js';
import { withRetry } from '../retry/with-retry.js';
import { readResponse, type BodyAdmission, type BodyRules, type Call, type RawResponse } from './body-reader.js';
import { ByteBudget } from './byte-budget.js';
import type { Throttle } from './throttle.js';

export interface HttpClientOptions {
  baseUrl: string;
  /** Extra headers on every request (the SpeakUp client header). */
  headers: Record<string, string>;
  tokens: TokenProvider;
  timeoutMs: number;
  retry: RetryPolicy;
  throttle: Throttle;
  log: Logger;
  /** Largest response body accepted, bytes. */
  maxBodyBytes?: number;
  /** Bytes of announced bodies read at once, across requests (default 256 MiB). */
  bodyBudgetBytes?: number;
}

export type { BodyAdmission };

export interface HttpStats {
  requests: number;
  retries: number;
  unauthorized: number;
}

const USER_AGENT = 'speakup-sync/0.1 (+node)';

export class HttpClient {
  readonly stats: HttpStats = { requests: 0, retries: 0, unauthorized: 0 };
  /** Request options shared by every call; only `path` and the token change (no URL parsing per request). */
  private readonly target: { protocol: string; hostname: string; port: string; basePath: string };
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private readonly budget: ByteBudget;

  constructor(private readonly opts: HttpClientOptions) {
    // Keep the base path: "https://h/api" and "https://h/api/" both resolve "v1/..." under /api/.
    const base = new URL(opts.baseUrl);
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.target = {
      protocol: base.protocol,
      hostname: base.hostname.replace(/^\[|\]$/g, ''),
      port: base.port,
      basePath: base.pathname,
    };
    this.transport = base.protocol === 'https:' ? https : http;
    this.budget = new ByteBudget(opts.bodyBudgetBytes ?? 256 * 1024 * 1024);
    const agentOpts = { keepAlive: true, maxSockets: 256, keepAliveMsecs: 10_000 };
    this.agent = base.protocol === 'https:' ? new https.Agent(agentOpts) : new http.Agent(agentOpts);
  }

  /** GET and parse JSON, with retries. Throws HttpError / NetworkError / BadResponseError. */
  async getJson(relative: string, signal?: AbortSignal): Promise<unknown> {
    const res = await this.get(relative, signal);
    return parseJsonBody(res.path, res.body.toString('utf8'));
  }

  /**
   * GET with retries; the raw answer. `relative` is a path under the base URL, without a leading slash.
   * A body longer than `maxBytes` (default: the client's limit) fails with BadResponseError naming its
   * size, announced or read so far: reading stops there, so a huge answer is never held in memory.
   * `admit`, when given, is awaited before a successful answer's body is read, with its announced size
   * (0 when not announced); the request's timeout does not run meanwhile (the wait is ours).
   */
  async get(
    relative: string,
    signal?: AbortSignal,
    maxBytes?: number,
    admit?: BodyAdmission,
  ): Promise<{ path: string; body: Buffer }> {
    const path = this.target.basePath + relative.replace(/^\//, '');
    const limit = maxBytes ?? this.opts.maxBodyBytes ?? 256 * 1024 * 1024;
    const body = { limit, ...(admit ? { admit } : {}) };
    const res = await withRetry(() => this.attempt(path, signal, body), this.opts.retry, {
      signal,
      serverWaitMs: (err) => (err instanceof HttpError && err.status === 429 ? err.retryAfterMs : undefined),
      onRetry: (err, attempt) => {
        this.stats.retries++;
        this.opts.log.debug(
          { path, attempt, code: (err as SyncError).code, err: (err as Error).message },
          'request failed, retrying',
        );
      },
    });
    return { path, body: res.body };
  }

  /** One attempt, including at most one token renewal after a 401. */
  private async attempt(path: string, signal: AbortSignal | undefined, limit: BodyRules): Promise<RawResponse> {
    for (let renewed = false; ; renewed = true) {
      const token = await this.opts.tokens.getToken(signal);
      const res = await this.send(path, token, signal, limit);
      if (res.status === 401 && !renewed) {
        this.stats.unauthorized++;
        this.opts.tokens.invalidate(token);
        continue;
      }
      if (res.status >= 200 && res.status < 300) return res;
      const retryAfterMs = serverWait(res.headers);
      throw new HttpError(res.status, 'GET', path, http.STATUS_CODES[res.status] ?? '', retryAfterMs);
    }
  }

  /** One request on the wire, through the throttle. */
  private async send(
    path: string,
    token: string,
    signal: AbortSignal | undefined,
    limit: BodyRules,
  ): Promise<RawResponse> {
    await this.opts.throttle.acquire(signal);
    this.stats.requests++;
    let status = 0;
    let headers: IncomingHttpHeaders | undefined;
    let retryAfterMs: number | undefined;
    try {
      const res = await this.request(path, token, signal, limit);
      status = res.status;
      headers = res.headers;
      if (status === 429) retryAfterMs = serverWait(res.headers);
      return res;
    } finally {
      this.opts.throttle.release(status, headers, retryAfterMs);
    }
  }

  private request(
    path: string,
    token: string,
    signal: AbortSignal | undefined,
    rules: BodyRules,
  ): Promise<RawResponse> {
    return new Promise<RawResponse>((resolve, reject) => {
      if (signal?.aborted) return reject(abortedError());
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const call: Call = {
        path,
        rules,
        budget: this.budget,
        release: () => undefined,
        settled: () => settled,
        pauseClock: () => clearTimeout(timer),
        startClock: () => {
          clearTimeout(timer);
          timer = setTimeout(
            () =>
              call.fail(
                new NetworkError('HTTP_TIMEOUT', 'GET', path, `no complete answer within ${this.opts.timeoutMs} ms`),
              ),
            this.opts.timeoutMs,
          );
        },
        fail: (err) => {
          if (!end()) return;
          req.destroy();
          reject(err);
        },
        done: (res) => {
          if (end()) resolve(res);
        },
      };
      const onAbort = () => call.fail(abortedError());
      // Settles once: the first outcome wins, and everything held for the request is given back.
      const end = (): boolean => {
        if (settled) return false;
        settled = true;
        call.release();
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const { protocol, hostname, port } = this.target;
      const req = this.transport.request({
        protocol,
        hostname,
        port,
        path,
        method: 'GET',
        agent: this.agent,
        headers: {
          accept: 'application/json',
          'user-agent': USER_AGENT,
          ...this.opts.headers,
          authorization: `Bearer ${token}`,
        },
      });
      call.startClock();
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err: NodeJS.ErrnoException) =>
        call.fail(new NetworkError('HTTP_NETWORK', 'GET', path, `network error (${err.code ?? err.message})`)),
      );
      req.on('response', (res) => readResponse(res, call));
      req.end();
    });
  }

  /** Close pooled connections. */
  close(): void {
    this.agent.destroy();
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The wait a 429's `Retry-After` asks for, an HTTP-date read against the answer's own `Date`. */
function serverWait(headers: IncomingHttpHeaders): number | undefined {
  return parseRetryAfter(header(headers['retry-after']), Date.now(), header(headers.date));
}
