/**
 * The write lanes of the PostgreSQL writer: tasks start in call order, at most `lanes` at once, and a
 * task holding an id of a task in flight waits for it. Tasks are promises the test settles by hand.
 */
import { describe, expect, it } from 'vitest';
import { createLanes } from '../../src/db/postgres/lanes.js';

/** A task that records its start and settles when the test says. */
function gate(started: string[], name: string) {
  let finish!: () => void;
  let fail!: (err: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    finish = () => resolve(name);
    fail = reject;
  });
  return {
    task: () => {
      started.push(name);
      return done;
    },
    finish: () => finish(),
    fail: (err: Error) => fail(err),
  };
}

/** Lets every queued reaction run (the lanes wait on promises only). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('write lanes', () => {
  it('runs two tasks with disjoint ids at once, the third when one of them is done', async () => {
    const lanes = createLanes(2);
    const started: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((n) => gate(started, n));
    const results = [lanes.run([1, 2], a!.task), lanes.run([3, 4], b!.task), lanes.run([5], c!.task)];
    await settle();
    expect(started).toEqual(['a', 'b']);
    b!.finish();
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);
    a!.finish();
    c!.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c']);
  });

  it('holds a task with an id in flight, and the tasks after it, until that id is written', async () => {
    const lanes = createLanes(2);
    const started: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((n) => gate(started, n));
    const results = [lanes.run([1, 2], a!.task), lanes.run([2, 9], b!.task), lanes.run([7], c!.task)];
    const refused = results[0]!.catch((err: unknown) => err);
    await settle();
    expect(started).toEqual(['a']);
    a!.fail(new Error('refused'));
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);
    b!.finish();
    c!.finish();
    expect(await refused).toEqual(new Error('refused'));
    expect(await Promise.all(results.slice(1))).toEqual(['b', 'c']);
  });

  it('with one lane, runs one task at a time', async () => {
    const lanes = createLanes(1);
    const started: string[] = [];
    const [a, b] = ['a', 'b'].map((n) => gate(started, n));
    const results = [lanes.run([1], a!.task), lanes.run([2], b!.task)];
    await settle();
    expect(started).toEqual(['a']);
    a!.finish();
    await settle();
    expect(started).toEqual(['a', 'b']);
    b!.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b']);
    expect(() => createLanes(0)).toThrow(RangeError);
  });
});
