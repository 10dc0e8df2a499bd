import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/sync/fifo.js';

describe('Fifo', () => {
  it('gives back what was pushed, in order, across many blocks', () => {
    const q = new Fifo();
    for (let i = 1; i <= 20_000; i++) q.push(i * 3);
    expect(q.length).toBe(20_000);
    const out: number[] = [];
    for (let v = q.shift(); v !== undefined; v = q.shift()) out.push(v);
    expect(out).toEqual(Array.from({ length: 20_000 }, (_, i) => (i + 1) * 3));
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
  });

  it('keeps order when pushes and shifts interleave, emptying it now and then', () => {
    const q = new Fifo();
    const model: number[] = [];
    let next = 1;
    // Bursts of pushes (a list page) and runs of shifts (fetch workers) of varying lengths.
    for (let round = 0; round < 300; round++) {
      const pushes = (round * 977) % 1500;
      for (let i = 0; i < pushes; i++) {
        q.push(next);
        model.push(next++);
      }
      const shifts = (round * 613) % 1800;
      for (let i = 0; i < shifts; i++) expect(q.shift()).toBe(model.shift());
      expect(q.length).toBe(model.length);
    }
    while (model.length > 0) expect(q.shift()).toBe(model.shift());
    expect(q.shift()).toBeUndefined();
  });

  it('holds any id a listing yields, up to the largest safe integer', () => {
    const q = new Fifo();
    q.push(Number.MAX_SAFE_INTEGER);
    q.push(1);
    expect([q.shift(), q.shift(), q.shift()]).toEqual([Number.MAX_SAFE_INTEGER, 1, undefined]);
  });
});
