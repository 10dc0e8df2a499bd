/**
 * node:http adapter for an EmuHandler: loopback only, keep-alive, latency via timers, transport faults
 * (reset, stall), and a close() that destroys every open socket so tests end at once.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { EmuHandler, EmuRequest, EmuResponse } from './types.js';

export interface EmuServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the emulator is never exposed beyond loopback by default. */
  host?: string;
}

export interface EmuServer {
  /** e.g. "http://127.0.0.1:53211" (no trailing slash). */
  url: string;
  port: number;
  server: Server;
  /** Stops listening and destroys every open, idle or stalled connection. */
  close(): Promise<void>;
}

const EMPTY = Buffer.alloc(0);

/** Serves `handler` over HTTP/1.1 on loopback. */
export async function startEmuServer(handler: EmuHandler, opts: EmuServerOptions = {}): Promise<EmuServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    // A GET has no body: skip the stream machinery on the hot path.
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
      dispatch(req, res, EMPTY);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => dispatch(req, res, Buffer.concat(chunks)));
  });
  // Longer than any client's idle pool timeout (undici: 4 s), so the server is never the side that drops a
  // connection a client is about to reuse; headersTimeout is kept above it, as the Node docs advise.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
  });

  function dispatch(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const emuReq: EmuRequest = {
      method: req.method ?? 'GET',
      path: q < 0 ? url : url.slice(0, q),
      query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
      headers: req.headers,
      body,
    };
    let out: EmuResponse | Promise<EmuResponse>;
    try {
      out = handler(emuReq);
    } catch (err) {
      out = internalError(err);
    }
    if (out instanceof Promise)
      out.then(
        (r) => schedule(req, res, r),
        (err: unknown) => schedule(req, res, internalError(err)),
      );
    else schedule(req, res, out);
  }

  function schedule(req: IncomingMessage, res: ServerResponse, r: EmuResponse): void {
    // A stall holds the socket without answering; close() destroys it.
    if (r.fault === 'stall') return;
    const delay = r.delayMs ?? 0;
    if (delay <= 0) {
      send(req, res, r);
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      send(req, res, r);
    }, delay);
    timers.add(timer);
  }

  function send(req: IncomingMessage, res: ServerResponse, r: EmuResponse): void {
    if (r.fault === 'reset') {
      // RST rather than FIN where the platform allows it: clients see ECONNRESET, as from a dying proxy.
      if (!req.socket.destroyed) req.socket.resetAndDestroy();
      return;
    }
    if (res.destroyed) return;
    const body = r.body === undefined ? EMPTY : typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
    const headers: Record<string, string | number> = { ...r.headers, 'content-length': body.length };
    res.writeHead(r.status, headers);
    res.end(body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

function internalError(err: unknown): EmuResponse {
  const text = err instanceof Error ? err.message : String(err);
  return {
    status: 500,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ message: `emulator error: ${text}` }),
  };
}
