/**
 * The daemon's optional HTTP endpoints (node:http, no framework): `GET /healthz` (200 when the last
 * successful run is recent, 503 otherwise, JSON body) and `GET /metrics` (Prometheus text). Read-only,
 * no authentication: it binds to SPEAKUP_METRICS_HOST, loopback by default.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ConfigError } from '../errors.js';
import { evaluateHealth, renderPrometheus, withPartialAlert, type SyncMetrics } from '../sync/metrics.js';

/** Options of {@link startHealthServer}. */
export interface HealthServerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  metrics: SyncMetrics;
  staleAfterMs: number;
  /** This many `partial` runs in a row that stored nothing make /healthz answer 503 (default 3). */
  partialAlertAfter?: number;
  log: Logger;
  now?: () => number;
}

/** A listening health server. */
export interface HealthServer {
  /** e.g. "http://127.0.0.1:9464". */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Content type of the Prometheus text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Starts listening; a port in use or an unusable host is a ConfigError naming the variable. */
export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  const now = opts.now ?? Date.now;
  const server = createServer((req, res) => handle(req, res));

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/healthz' && path !== '/metrics')
      return send(res, 404, 'text/plain; charset=utf-8', 'not found: try /healthz or /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    const state = opts.metrics.state();
    const fresh = evaluateHealth(state.lastSuccessAt, opts.staleAfterMs, now());
    const health = withPartialAlert(fresh, state.emptyPartialRuns, opts.partialAlertAfter ?? 3);
    if (path === '/metrics')
      return send(res, 200, PROMETHEUS_CONTENT_TYPE, renderPrometheus(state, health), req.method === 'HEAD');
    const body = {
      status: health.ok ? 'ok' : 'stale',
      reason: health.reason,
      lastSuccessAt: health.lastSuccessAt ?? null,
      ageSeconds: health.ageSeconds ?? null,
      staleAfterSeconds: health.staleAfterSeconds,
      running: state.running,
      lastRun: state.lastRun ?? null,
      issues: state.issues,
    };
    send(
      res,
      health.ok ? 200 : 503,
      'application/json; charset=utf-8',
      `${JSON.stringify(body)}\n`,
      req.method === 'HEAD',
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const which =
        err.code === 'EADDRINUSE' || err.code === 'EACCES' ? 'SPEAKUP_METRICS_PORT' : 'SPEAKUP_METRICS_HOST';
      reject(
        new ConfigError([
          `${which}: cannot listen on ${opts.host}:${opts.port} (${err.code ?? err.message}); choose another ${which === 'SPEAKUP_METRICS_PORT' ? 'port' : 'address'}`,
        ]),
      );
    });
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  opts.log.info({ url: `${url}/metrics` }, 'health and metrics server listening');
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Scrapers keep connections alive; do not let them hold the shutdown.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, type: string, body: string, headOnly = false): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(headOnly ? undefined : body);
}
