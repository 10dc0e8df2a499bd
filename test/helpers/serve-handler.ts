/**
 * A minimal node:http adapter for EmuHandler, for tests that must not depend on src/emulator/server.ts:
 * 127.0.0.1, port 0, honours `delayMs` and `fault: 'reset'` (and `stall`, by never answering).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmuHandler, EmuResponse } from '../../src/emulator/types.js';

/** A running test server. */
export interface ServedHandler {
  /** Base URL with a trailing slash, e.g. "http://127.0.0.1:43123/". */
  url: string;
  close(): Promise<void>;
}

/** Serves `handler` on 127.0.0.1 on a free port. */
export async function serveHandler(handler: EmuHandler): Promise<ServedHandler> {
  const server = createServer((req, res) => {
    void answer(handler, req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(err instanceof Error ? err.message : String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Keep-alive sockets (fetch pools them) would otherwise hold close() open.
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

async function answer(handler: EmuHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const response: EmuResponse = await handler({
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body: Buffer.concat(chunks),
  });
  if (response.delayMs) await new Promise((resolve) => setTimeout(resolve, response.delayMs));
  if (response.fault === 'reset') {
    req.socket.resetAndDestroy();
    return;
  }
  if (response.fault === 'stall') return;
  res.writeHead(response.status, response.headers);
  res.end(response.body);
}
