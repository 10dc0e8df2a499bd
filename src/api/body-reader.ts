/**
 * Reading one response body for the HTTP client: refused early when too large, paused until the caller
 * admits it and the client's byte budget has room, and gathered into one buffer of the announced size.
 */
import type http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { BadResponseError, NetworkError } from '../errors.js';
import type { ByteBudget } from './byte-budget.js';

/**
 * Asked before a body is read, with its announced size in bytes (0: not announced): undefined lets it
 * be read at once, a promise makes the body wait until it settles.
 */
export type BodyAdmission = (bytes: number) => Promise<void> | undefined;

/** How a response body may be read: its largest size, and what to wait for first. */
export interface BodyRules {
  limit: number;
  admit?: BodyAdmission;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request being answered, as the body reader sees it. */
export interface Call {
  path: string;
  rules: BodyRules;
  budget: ByteBudget;
  /** Gives back the share of the byte budget held for the body (replaced once it is taken). */
  release(): void;
  settled(): boolean;
  pauseClock(): void;
  startClock(): void;
  fail(err: Error): void;
  done(res: RawResponse): void;
}

/**
 * Reads an answer's body, paused until it may be: a body larger than accepted is refused before a byte
 * is read when its length is announced (else once it exceeds the limit); the caller's admission comes
 * first (its wait is not the server's, so the request's clock stops meanwhile), then a share of the
 * client's byte budget for announced large bodies.
 */
export function readResponse(res: http.IncomingMessage, call: Call): void {
  const { path, rules } = call;
  const tooLarge = (size: string) =>
    new BadResponseError(
      `[GET] "${path}": body of ${size} is larger than the ${rules.limit} bytes accepted; raise SPEAKUP_MAX_DETAIL_BYTES if it is genuine`,
    );
  const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
  const announced = Number(res.headers['content-length']);
  if (ok && announced > rules.limit) return call.fail(tooLarge(`${announced} bytes (content-length)`));
  // Allocated at the first chunk: a body waiting for admission holds no memory.
  let body: BodySink | undefined;
  const sink = (): BodySink => (body ??= new BodySink(announced));
  const admission = ok ? rules.admit?.(Number.isSafeInteger(announced) ? announced : 0) : undefined;
  const large = announced > 64 * 1024;
  if (admission || large) {
    res.pause();
    void (async () => {
      if (admission) {
        call.pauseClock();
        await admission;
        if (call.settled()) return;
        call.startClock();
      }
      if (large) call.release = await call.budget.take(announced);
      if (call.settled()) call.release();
      else res.resume();
    })().catch((err: unknown) => call.fail(err instanceof Error ? err : new Error(String(err))));
  }
  res.on('data', (chunk: Buffer) => {
    const got = sink();
    if (got.size + chunk.length > rules.limit)
      call.fail(tooLarge(`more than ${got.size + chunk.length} bytes (read so far)`));
    else if (!call.settled()) got.add(chunk);
  });
  res.on('error', (err: NodeJS.ErrnoException) =>
    call.fail(new NetworkError('HTTP_NETWORK', 'GET', path, `connection lost mid-body (${err.code ?? err.message})`)),
  );
  res.on('aborted', () => call.fail(new NetworkError('HTTP_NETWORK', 'GET', path, 'connection lost mid-body')));
  res.on('end', () => call.done({ status: res.statusCode ?? 0, headers: res.headers, body: sink().take() }));
}

/**
 * A response body being read. With a content-length, the chunks are copied into one buffer of that
 * size as they come (one copy of a large body in memory, not chunks plus their concatenation).
 */
class BodySink {
  size = 0;
  private chunks: Buffer[] = [];
  private whole: Buffer | undefined;

  constructor(announced: number) {
    if (Number.isSafeInteger(announced) && announced > 64 * 1024) this.whole = Buffer.allocUnsafe(announced);
  }

  add(chunk: Buffer): void {
    if (this.whole && this.size + chunk.length <= this.whole.length) chunk.copy(this.whole, this.size);
    else {
      // More than announced: keep what was copied and go on in chunks.
      if (this.whole) this.chunks.push(this.whole.subarray(0, this.size));
      this.whole = undefined;
      this.chunks.push(chunk);
    }
    this.size += chunk.length;
  }

  take(): Buffer {
    return this.whole ? this.whole.subarray(0, this.size) : Buffer.concat(this.chunks, this.size);
  }
}
