/** The emulator data set's public types: its options, list overrides and the mutation API tests use. */
import type { IssueDetail, IssueSummary } from '../../api/types.js';
import type { DetailDialect } from './generate.js';

/** Options of a data set. */
export interface DatasetOptions {
  /** PRNG seed; the same seed and count give the same data. Default 1. */
  seed?: number;
  /** Number of generated issues, 0 to 100,000 (more works, slower). Default 250. */
  count?: number;
}

/** Context given to a list override function: the page asked for and the items it would normally hold. */
export interface ListOverrideContext {
  page: number;
  pageSize: number;
  items: IssueSummary[];
  /** 1-based number of list pages served since the override was set. */
  call: number;
}

/** Replaces the items of each served list page (hostile-input tests). */
export type ListOverrideFn = (ctx: ListOverrideContext) => unknown[];

/** The order of the list: ascending ids (the default), or most recently updated first (ties: higher id first). */
export type ListOrder = 'id' | 'newest-first';
export const LIST_ORDERS: readonly ListOrder[] = ['id', 'newest-first'];

/** A page of the list as served: `items` may be anything when a list override is set. */
export interface ListSlice {
  items: unknown[];
  total: number;
}

/** The data set and its mutation API. */
export interface Dataset {
  readonly seed: number;
  /** Number of live (listed) issues. */
  size(): number;
  /** Live ids, ascending (a copy). */
  ids(): number[];
  has(id: number): boolean;
  /** Every live list item, ascending by id (what a complete sync must end with). */
  list(): IssueSummary[];
  /** The current detail of a live issue (ignores detail overrides), or undefined. */
  get(id: number): IssueDetail | undefined;
  /** The JSON body served for `GET /issues/{id}`: the override if one is set, else the cached serialized detail in `dialect`. */
  detailBody(id: number, dialect?: DetailDialect): Buffer | undefined;
  /** The items of one list page (`limit` null = everything) in `order` (default by id), honouring list overrides. */
  listSlice(offset: number, limit: number | null, page: number, pageSize: number, order?: ListOrder): ListSlice;
  /** Bumps version and updatedAt; applies `patch` (may set updatedAt itself) or else a generated workflow change. */
  update(id: number, patch?: Partial<IssueDetail>): IssueDetail;
  /** Deletes an issue (it leaves the list, its detail answers 404). Returns whether it was live. */
  remove(id: number): boolean;
  /** Adds generated issues (a count) or given partial details; returns the new ids. */
  add(what: number | Partial<IssueDetail> | Partial<IssueDetail>[]): number[];
  /** Serves `body` for this id's detail (even if deleted or unknown): a string is sent raw, undefined as an empty body, anything else as JSON. */
  setDetailOverride(id: number, body: unknown): void;
  clearDetailOverride(id: number): void;
  /** Replaces the whole list (paged as usual), transforms each page (function), or restores it (null). */
  setListOverride(override: unknown[] | ListOverrideFn | null): void;
  /** The logical clock (ISO), i.e. the updatedAt the next mutation will move past. */
  now(): string;
}
