/**
 * Contracts between the emulator's parts. The handlers are plain functions over small request/response
 * objects (not WHATWG Request/Response): building those per request costs more CPU than the whole detail
 * answer, and the emulator must never be the bottleneck of a benchmark. `server.ts` adapts them to node:http.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface EmuRequest {
  method: string;
  /** Path without the query string, e.g. "/v1/public/issues/42". */
  path: string;
  query: URLSearchParams;
  /** Lower-cased header names, as node:http gives them. */
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface EmuResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /**
   * A transport-level fault instead of an answer: `reset` destroys the socket without a response,
   * `stall` holds the request open without answering until the client gives up (or the server closes).
   */
  fault?: 'reset' | 'stall';
  /** Delay before answering, in ms (latency knobs). */
  delayMs?: number;
}

export type EmuHandler = (req: EmuRequest) => EmuResponse | Promise<EmuResponse>;

/** What the API side needs to know about a bearer token. */
export type TokenCheck =
  | { ok: true; claims: Record<string, unknown> }
  | { ok: false; reason: 'missing' | 'malformed' | 'bad-signature' | 'expired' | 'revoked' | 'wrong-use' };

/** A configured user of the emulated user pool. */
export interface EmuUser {
  username: string;
  password: string;
  confirmed?: boolean;
  /** Cognito `sub`; generated from the username when absent. */
  sub?: string;
  email?: string;
}

/** A configured App Integration (OAuth2 client-credentials client). */
export interface EmuOAuthClient {
  clientId: string;
  clientSecret: string;
  /** Scopes this client may ask for; all of them when it asks for none. */
  scopes?: string[];
  /** Whether the client may use the client_credentials grant (default true); false answers unauthorized_client. */
  allowClientCredentials?: boolean;
}
