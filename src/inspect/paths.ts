/**
 * Every JSON path of a sample of detail objects, with its types, presence and lengths. Values are looked
 * at only to classify them (a timestamp, an epoch number) and are never kept: these are whistleblower
 * reports, and the report must be safe to paste into a support ticket.
 */
import { toIsoUtc, toPlainDate } from '../timestamps.js';
import type { PathStat } from './types.js';

// Bounds for a hostile or huge object: the report stays readable and the walk stays cheap.
const MAX_DEPTH = 10;
const MAX_PATHS = 400;
const EPOCH_MS = [Date.UTC(1990, 0, 1), Date.UTC(2200, 0, 1)] as const;
// A key that is not a plain name (spaces, '@', very long) is likely a value used as a key (an object
// keyed by e-mail or name): it is shown as `*`, so a path never carries one.
const PLAIN_KEY = /^[A-Za-z0-9_$-]{1,64}$/;

interface Acc {
  present: Set<number>;
  withValue: Set<number>;
  types: Map<string, number>;
  minLength: number;
  maxLength: number;
}

/** The type name of a value as the report shows it. */
export function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string':
      if (toIsoUtc(v) !== null) return 'timestamp';
      return toPlainDate(v) !== null ? 'date' : 'string';
    case 'number':
      if (Number.isInteger(v) && v >= EPOCH_MS[0] && v <= EPOCH_MS[1]) return 'epoch-ms';
      if (Number.isInteger(v) && v >= EPOCH_MS[0] / 1000 && v <= EPOCH_MS[1] / 1000) return 'epoch-s';
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return typeof v === 'object' ? 'object' : typeof v;
  }
}

/** Collects path statistics over `details` (the index of each is its sample number). */
export function collectPaths(details: readonly unknown[]): PathStat[] {
  const acc = new Map<string, Acc>();
  const see = (path: string, v: unknown, sample: number): void => {
    let a = acc.get(path);
    if (!a) {
      if (acc.size >= MAX_PATHS) return;
      a = { present: new Set(), withValue: new Set(), types: new Map(), minLength: Infinity, maxLength: -1 };
      acc.set(path, a);
    }
    a.present.add(sample);
    if (v !== null) a.withValue.add(sample);
    const t = typeOf(v);
    a.types.set(t, (a.types.get(t) ?? 0) + 1);
    const len = typeof v === 'string' || Array.isArray(v) ? v.length : undefined;
    if (len !== undefined) {
      a.minLength = Math.min(a.minLength, len);
      a.maxLength = Math.max(a.maxLength, len);
    }
  };
  const walk = (v: unknown, path: string, depth: number, sample: number): void => {
    if (depth > MAX_DEPTH || typeof v !== 'object' || v === null) return;
    if (Array.isArray(v)) {
      for (const el of v) {
        see(`${path}[]`, el, sample);
        walk(el, `${path}[]`, depth + 1, sample);
      }
      return;
    }
    for (const [key, child] of Object.entries(v)) {
      const name = PLAIN_KEY.test(key) ? key : '*';
      const p = path === '' ? name : `${path}.${name}`;
      see(p, child, sample);
      walk(child, p, depth + 1, sample);
    }
  };
  details.forEach((d, i) => walk(d, '', 0, i));
  return [...acc.entries()].map(([path, a]) => ({
    path,
    present: a.present.size,
    withValue: a.withValue.size,
    types: Object.fromEntries([...a.types.entries()].sort((x, y) => y[1] - x[1])),
    ...(a.maxLength >= 0 ? { minLength: a.minLength, maxLength: a.maxLength } : {}),
  }));
}
