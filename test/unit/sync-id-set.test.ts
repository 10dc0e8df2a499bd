import { describe, expect, it } from 'vitest';
import { IdSet } from '../../src/sync/id-set.js';

/** A deterministic pseudo-random sequence (xorshift), so a failure can be replayed. */
function* pseudoRandom(seed: number, count: number, below: number): Generator<number> {
  let x = seed;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    yield (x >>> 0) % below;
  }
}

/** Adds `ids` to an IdSet and to a Set, checking that both agree at every step and at the end. */
function agreeWithSet(ids: Iterable<number>, probes: Iterable<number>): IdSet {
  const ours = new IdSet();
  const theirs = new Set<number>();
  for (const id of ids) {
    expect(ours.add(id)).toBe(!theirs.has(id));
    theirs.add(id);
  }
  expect(ours.size).toBe(theirs.size);
  for (const id of theirs) expect(ours.has(id)).toBe(true);
  for (const p of probes) expect(ours.has(p)).toBe(theirs.has(p));
  return ours;
}

describe('IdSet', () => {
  it('holds consecutive ids listed in any order, each once', () => {
    const ids = Array.from({ length: 50_000 }, (_, i) => 50_000 - i);
    agreeWithSet([...ids, ...ids.slice(0, 100)], [0, 50_001, 49_999, 1 << 20]);
  });

  it('holds sparse and huge ids that no bitmap could cover', () => {
    const huge = [...pseudoRandom(7, 20_000, 2 ** 31)].map((v) => v * 4096 + 1);
    const probes = [...pseudoRandom(11, 2000, 2 ** 31)].map((v) => v * 4096 + 1);
    agreeWithSet([...huge, Number.MAX_SAFE_INTEGER, 2 ** 40, 2 ** 32 + 5, 2 ** 32 + 5], [...probes, 2 ** 32 + 6]);
  });

  it('holds ids that reach the bitmap after the hash table took them (both are asked)', () => {
    // 2^21 is beyond the bitmap while few ids are held; once many are, the bitmap grows past it.
    const early = [2 ** 21, 2 ** 21 + 1];
    const later = Array.from({ length: 40_000 }, (_, i) => i + 1);
    const set = agreeWithSet([...early, ...later, ...early, 2 ** 21 + 2], [2 ** 21 + 3, 0]);
    expect(set.has(2 ** 21)).toBe(true);
  });

  it('holds 0 and numbers no listing yields', () => {
    agreeWithSet([0, -1, 1.5, -0.5, 0, -1, 1, Number.MAX_SAFE_INTEGER + 2], [2, -2, 0.5]);
  });
});
