/**
 * The emulator's deterministic, seeded issue data set, plus the mutation API tests use between syncs.
 *
 * Only the sorted id list is built up front (one PRNG draw per issue); a detail is generated on demand from
 * (seed, id) and the in-memory mutation record of that id, so 100,000 issues cost a few milliseconds to start.
 * Timestamps derive from a fixed epoch and a logical clock, never from Date.now().
 */
import type { IssueDetail, IssueSummary } from '../../api/types.js';
import { customIdFor, generateChange, generateDetail, inDialect, iso } from './generate.js';
import type { DetailDialect, IssueTimes } from './generate.js';
import { int, mixSeed, mulberry32 } from './rng.js';

const DAY = 86_400_000;
/** First creation date of the generated issues. */
export const DATASET_START_MS = Date.UTC(2023, 0, 1);
/** The data set's "now" at start; mutations move the logical clock on from here. */
export const DATASET_NOW_MS = Date.UTC(2025, 5, 30, 12);
/** Each mutation advances the logical clock by this much, so updatedAt strictly increases. */
const TICK_MS = 61_000;
/** Serialized details kept per (id, version); bounded so a 100k benchmark does not hold every body. */
const BODY_CACHE_MAX = 2_048;

import type { Dataset, DatasetOptions, ListOrder, ListOverrideFn } from './dataset-types.js';
export type {
  DatasetOptions,
  ListOverrideContext,
  ListOverrideFn,
  ListOrder,
  ListSlice,
  Dataset,
} from './dataset-types.js';
export { LIST_ORDERS } from './dataset-types.js';

interface Mutation {
  version: number;
  ordinal: number;
  createdMs: number;
  baseUpdatedMs: number;
  updatedMs: number;
  fields: Partial<IssueDetail>;
}

/** Builds a data set: ids ascending with random gaps, details generated lazily. */
export function createDataset(opts: DatasetOptions = {}): Dataset {
  const seed = opts.seed ?? 1;
  const count = opts.count ?? 250;
  const rng = mulberry32(mixSeed(seed, 0x1d5));
  const baseIds = new Float64Array(count);
  let id = int(rng, 1, 50);
  for (let i = 0; i < count; i++) {
    baseIds[i] = id;
    // Mostly small gaps (deleted drafts), now and then a large one (an archive purge).
    id += rng() < 0.01 ? int(rng, 50, 500) : int(rng, 1, 4);
  }
  let nextId = id;
  let nextOrdinal = count + 1;
  let clockMs = DATASET_NOW_MS;
  const live: number[] = Array.from(baseIds);
  const mutations = new Map<number, Mutation>();
  const detailOverrides = new Map<number, Buffer>();
  // Buffers, not strings: the server then needs no byte-length pass or copy per answer.
  const cache = new Map<number, { version: number; dialect: DetailDialect; body: Buffer }>();
  // Newest-first order, rebuilt after any mutation (generation counts them).
  let generation = 0;
  let newestFirst: { generation: number; ids: number[] } | null = null;
  let listOverride: unknown[] | ListOverrideFn | null = null;
  let listCalls = 0;
  const step = (DATASET_NOW_MS - DATASET_START_MS) / Math.max(count, 1);

  const indexOf = (arr: ArrayLike<number>, target: number): number => {
    let lo = 0;
    let hi = arr.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = arr[mid] as number;
      if (v === target) return mid;
      if (v < target) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };
  const has = (issueId: number): boolean => indexOf(live, issueId) >= 0;

  /** Creation order and times of an issue: from its mutation record, or computed for a generated one. */
  const times = (issueId: number): IssueTimes & { updatedMs: number; version: number } => {
    const m = mutations.get(issueId);
    if (m)
      return {
        id: issueId,
        ordinal: m.ordinal,
        createdMs: m.createdMs,
        baseUpdatedMs: m.baseUpdatedMs,
        updatedMs: m.updatedMs,
        version: m.version,
        nowMs: DATASET_NOW_MS,
      };
    const i = indexOf(baseIds, issueId);
    const r = mulberry32(mixSeed(seed, issueId, 0));
    const createdMs = Math.floor(DATASET_START_MS + (i + r()) * step);
    // Most issues were last touched within weeks of creation, a few months later.
    const baseUpdatedMs = createdMs + Math.floor(r() ** 3 * Math.min(120 * DAY, DATASET_NOW_MS - createdMs));
    return {
      id: issueId,
      ordinal: i + 1,
      createdMs,
      baseUpdatedMs,
      updatedMs: baseUpdatedMs,
      version: 1,
      nowMs: DATASET_NOW_MS,
    };
  };

  const summary = (issueId: number): IssueSummary => {
    const t = times(issueId);
    const custom = mutations.get(issueId)?.fields.customId;
    return {
      id: issueId,
      createdAt: iso(t.createdMs),
      updatedAt: iso(t.updatedMs),
      customId: custom !== undefined ? custom : customIdFor(t.ordinal, t.createdMs),
    };
  };

  const detail = (issueId: number): IssueDetail => {
    const t = times(issueId);
    const d = generateDetail(seed, t);
    const m = mutations.get(issueId);
    if (m) Object.assign(d, m.fields);
    d.updatedAt = iso(t.updatedMs);
    return d;
  };

  const tick = (): number => {
    generation += 1;
    return (clockMs += TICK_MS);
  };

  const orderedIds = (order: ListOrder): number[] => {
    if (order === 'id') return live;
    if (newestFirst?.generation !== generation) {
      const updated = new Map(live.map((issueId) => [issueId, times(issueId).updatedMs]));
      const ids = live.slice().sort((a, b) => (updated.get(b) as number) - (updated.get(a) as number) || b - a);
      newestFirst = { generation, ids };
    }
    return newestFirst.ids;
  };

  /** Splits a patch into timestamps (kept in the record) and other fields. */
  const absorb = (m: Mutation, patch: Partial<IssueDetail>): void => {
    const { id: _ignored, createdAt, updatedAt, ...rest } = patch;
    if (typeof createdAt === 'string') m.createdMs = Date.parse(createdAt);
    if (typeof updatedAt === 'string') m.updatedMs = Date.parse(updatedAt);
    Object.assign(m.fields, rest);
  };

  const insertLive = (issueId: number): void => {
    let i = live.length;
    while (i > 0 && (live[i - 1] as number) > issueId) i--;
    live.splice(i, 0, issueId);
  };

  const addOne = (patch: Partial<IssueDetail>): number => {
    const newId = typeof patch.id === 'number' ? patch.id : nextId;
    if (has(newId)) throw new Error(`add(): issue ${newId} already exists`);
    if (newId >= nextId) nextId = newId + int(mulberry32(mixSeed(seed, newId, 3)), 1, 4);
    const createdMs = tick();
    const m: Mutation = {
      version: 1,
      ordinal: nextOrdinal++,
      createdMs,
      baseUpdatedMs: createdMs,
      updatedMs: createdMs,
      fields: {},
    };
    absorb(m, patch);
    mutations.set(newId, m);
    cache.delete(newId);
    insertLive(newId);
    return newId;
  };

  return {
    seed,
    size: () => live.length,
    ids: () => live.slice(),
    has,
    list: () => live.map(summary),
    get: (issueId) => (has(issueId) ? detail(issueId) : undefined),
    detailBody(issueId, dialect = 'default') {
      const override = detailOverrides.get(issueId);
      if (override !== undefined) return override;
      if (!has(issueId)) return undefined;
      const version = mutations.get(issueId)?.version ?? 1;
      const hit = cache.get(issueId);
      if (hit && hit.version === version && hit.dialect === dialect) return hit.body;
      const body = Buffer.from(JSON.stringify(inDialect(detail(issueId), dialect)));
      if (cache.size >= BODY_CACHE_MAX) cache.delete(cache.keys().next().value as number);
      cache.set(issueId, { version, dialect, body });
      return body;
    },
    listSlice(offset, limit, page, pageSize, order = 'id') {
      if (Array.isArray(listOverride)) {
        return {
          items: limit === null ? listOverride.slice() : listOverride.slice(offset, offset + limit),
          total: listOverride.length,
        };
      }
      const all = orderedIds(order);
      const ids = limit === null ? all : all.slice(offset, offset + limit);
      const items = ids.map(summary);
      if (listOverride)
        return { items: listOverride({ page, pageSize, items, call: ++listCalls }), total: live.length };
      return { items, total: live.length };
    },
    update(issueId, patch) {
      if (!has(issueId)) throw new Error(`update(): no issue ${issueId}`);
      const t = times(issueId);
      const m: Mutation = mutations.get(issueId) ?? {
        version: t.version,
        ordinal: t.ordinal,
        createdMs: t.createdMs,
        baseUpdatedMs: t.baseUpdatedMs,
        updatedMs: t.updatedMs,
        fields: {},
      };
      m.version += 1;
      m.updatedMs = Math.max(tick(), m.updatedMs + 1);
      if (patch) absorb(m, patch);
      else Object.assign(m.fields, generateChange(seed, issueId, m.version, detail(issueId), m.updatedMs));
      mutations.set(issueId, m);
      return detail(issueId);
    },
    remove(issueId) {
      const i = indexOf(live, issueId);
      if (i < 0) return false;
      live.splice(i, 1);
      generation += 1;
      cache.delete(issueId);
      return true;
    },
    add(what) {
      if (typeof what === 'number') return Array.from({ length: what }, () => addOne({}));
      return (Array.isArray(what) ? what : [what]).map(addOne);
    },
    setDetailOverride(issueId, body) {
      // undefined has no JSON form: it stands for an empty 200 body, itself a useful hostile case.
      detailOverrides.set(issueId, Buffer.from(typeof body === 'string' ? body : (JSON.stringify(body) ?? '')));
    },
    clearDetailOverride(issueId) {
      detailOverrides.delete(issueId);
    },
    setListOverride(override) {
      listOverride = override;
      listCalls = 0;
    },
    now: () => iso(clockMs),
  };
}
