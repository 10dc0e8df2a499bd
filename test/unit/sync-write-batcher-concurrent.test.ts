/**
 * The write queue with a writer that takes a write before the previous one is answered (`concurrent`,
 * the PostgreSQL writer): each batch is handed over when it is full, outcomes still go out in order; a
 * writer without the flag gets a batch only once the previous write is answered.
 */
import { describe, expect, it } from 'vitest';
import type { DetailWriter, FetchedDetail, WriteOutcome } from '../../src/sync/ports.js';
import { createWriteBatcher } from '../../src/sync/write-batcher.js';
import { detail, until } from './sync-fakes.js';

/** A writer whose answers the test gives by hand, batch by batch. */
function handWriter(concurrent: boolean) {
  const calls: number[][] = [];
  const answers: Array<(out: WriteOutcome) => void> = [];
  const writer: DetailWriter = {
    concurrent,
    write: (details: readonly FetchedDetail[]) => {
      calls.push(details.map((d) => d.id));
      return new Promise<WriteOutcome>((resolve) => answers.push(resolve));
    },
  };
  const answer = (i: number): void => answers[i]!({ stored: calls[i]!.length, failures: [] });
  return { writer, calls, answer };
}

/** Lets the event loop turn `n` times. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function queue(writer: DetailWriter) {
  const outcomes: number[] = [];
  const b = createWriteBatcher({
    writer,
    runId: 1,
    batchSize: 2,
    maxChars: 1_000_000,
    flushMs: 3_600_000,
    maxPending: 4,
    onWritten: (out) => void outcomes.push(out.stored),
    onFatal: () => undefined,
  });
  return { b, outcomes };
}

describe('write queue and a concurrent writer', () => {
  it('hands a concurrent writer each full batch at once, and passes the outcomes on in order', async () => {
    const w = handWriter(true);
    const { b, outcomes } = queue(w.writer);
    for (const id of [1, 2]) b.add(detail(id));
    await until(() => w.calls.length === 1, 'the first batch to be handed over');
    for (const id of [3, 4, 5]) b.add(detail(id));
    await until(() => w.calls.length === 2, 'the second batch to be handed over before the first is answered');
    expect(w.calls).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    w.answer(1);
    await turns(50);
    expect(outcomes).toEqual([]);
    w.answer(0);
    await b.close();
    expect(outcomes).toEqual([2, 3]);
  });

  it('hands any other writer a batch only once the previous write is answered', async () => {
    const w = handWriter(false);
    const { b, outcomes } = queue(w.writer);
    for (const id of [1, 2]) b.add(detail(id));
    await until(() => w.calls.length === 1, 'the first batch to be handed over');
    for (const id of [3, 4]) b.add(detail(id));
    await turns(50);
    expect(w.calls).toHaveLength(1);
    w.answer(0);
    await until(() => w.calls.length === 2, 'the second batch to be handed over');
    w.answer(1);
    await b.close();
    expect(outcomes).toEqual([2, 2]);
  });
});
