/**
 * The copy's one transaction on one connection, with its statements sent without waiting for each other
 * (node-postgres's pipeline mode): the server always has the next statement at hand while the client
 * reads and hashes the next rows, and a table's index builds and checksum query run while other tables
 * still load. Each statement still ends with its own Sync, so a failing statement fails alone, those
 * behind it fail with "current transaction is aborted", and the transaction rolls back; the first error
 * is the one reported. Nothing is sent after the first failure, and the transaction ends only once every
 * statement sent has been answered, so no statement can run after the ROLLBACK outside the transaction.
 */
import type pg from 'pg';
import { inTransaction } from './connect.js';

type Pipelined = pg.PoolClient & { pipeline?: boolean };

/** Statements of one transaction in flight together. */
export class Pipeline {
  private readonly pending = new Set<Promise<unknown>>();
  private failure: { error: unknown } | undefined;
  private waiters: { most: number; resolve: () => void }[] = [];

  constructor(private readonly client: pg.ClientBase) {}

  /** Sends a statement behind those already sent; throws at once if one has failed. */
  send<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.failure) throw this.failure.error;
    const sent = this.client.query<R>(text, values);
    this.pending.add(sent);
    sent.then(
      () => this.answered(sent),
      (err: unknown) => {
        this.failure ??= { error: err };
        this.answered(sent);
      },
    );
    return sent;
  }

  /** Resolves once at most `most` statements are in flight: for work that should only fill the server's gaps. */
  async atMost(most: number): Promise<void> {
    if (this.pending.size <= most) return;
    await new Promise<void>((resolve) => this.waiters.push({ most, resolve }));
  }

  private answered(sent: Promise<unknown>): void {
    this.pending.delete(sent);
    const ready = this.waiters.filter((w) => this.pending.size <= w.most);
    this.waiters = this.waiters.filter((w) => this.pending.size > w.most);
    for (const w of ready) w.resolve();
  }

  /** Waits until every statement sent is answered; throws the first failure. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    if (this.failure) throw this.failure.error;
  }
}

/**
 * Runs `fn` in one transaction on one connection of `pool` (connect.ts's inTransaction): `setup` with
 * statements one at a time, then `fn` with a Pipeline. Commits when both return, rolls back and rethrows
 * otherwise; whatever `fn` left in flight is answered before either.
 */
export async function inPipelinedCopy<S, T>(
  pool: pg.Pool,
  setup: (client: pg.ClientBase) => Promise<S>,
  fn: (pipeline: Pipeline, prepared: S) => Promise<T>,
): Promise<T> {
  return inTransaction(pool, async (client: Pipelined) => {
    const prepared = await setup(client);
    const before = client.pipeline;
    client.pipeline = true;
    const pipeline = new Pipeline(client);
    try {
      return await fn(pipeline, prepared);
    } finally {
      await pipeline.settle().catch(() => undefined);
      client.pipeline = before;
    }
  });
}
