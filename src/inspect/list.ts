/**
 * What the list endpoint really does: the client header, the response shape, whether the page and
 * page-size parameters are honoured, the page-size cap, the order of the items and whether two reads
 * agree. Item values are compared (ids, updatedAt) but never reported.
 */
import type { ApiConfig } from '../config/types.js';
import type { ProbeAnswer, ProbeHttp } from './http.js';
import type { Finding } from './types.js';

/** Envelope keys the sync's paging understands. */
const ENVELOPE_KEYS = ['data', 'items', 'issues', 'results'];
const SMALL = 5;

export interface ListProbe {
  findings: Finding[];
  /** Ids of the largest page read, in the server's order (to draw the detail sample from). */
  ids: number[];
  /** False when the list could not be read at all (the detail checks are skipped). */
  readable: boolean;
}

interface Item {
  id: number;
  updatedAt: string | undefined;
}

type Shape = { kind: 'array' } | { kind: 'envelope'; key: string } | { kind: 'unknown'; keys: string };

function shapeOf(json: unknown): Shape {
  if (Array.isArray(json)) return { kind: 'array' };
  if (typeof json === 'object' && json !== null) {
    const arrays = Object.entries(json)
      .filter(([, v]) => Array.isArray(v))
      .map(([k]) => k);
    const key = arrays.find((k) => ENVELOPE_KEYS.includes(k)) ?? arrays[0];
    if (key !== undefined) return { kind: 'envelope', key };
    return { kind: 'unknown', keys: Object.keys(json).slice(0, 10).join(', ') || 'none' };
  }
  return { kind: 'unknown', keys: json === undefined ? 'not JSON' : typeof json };
}

function itemsOf(json: unknown): Item[] {
  const shape = shapeOf(json);
  const raw =
    shape.kind === 'array'
      ? (json as unknown[])
      : shape.kind === 'envelope'
        ? ((json as Record<string, unknown>)[shape.key] as unknown[])
        : [];
  return raw.flatMap((it) => {
    const o = it as { id?: unknown; updatedAt?: unknown } | null;
    if (typeof o?.id !== 'number') return [];
    return [{ id: o.id, updatedAt: typeof o.updatedAt === 'string' ? o.updatedAt : undefined }];
  });
}

const same = (a: Item[], b: Item[]): boolean => a.length === b.length && a.every((x, i) => x.id === b[i]!.id);

/** A finding for an answer that is not a 2xx, naming the setting behind it; undefined for a 2xx. */
export function refusal(check: string, a: ProbeAnswer, api: ApiConfig): Finding | undefined {
  if (a.error) return { check, verdict: 'problem', detail: a.error, setting: 'SPEAKUP_API_URL' };
  if (a.status >= 200 && a.status < 300) return undefined;
  if (a.status === 401)
    return {
      check,
      verdict: 'problem',
      detail: 'the token is refused (401)',
      setting: 'SPEAKUP_AUTH and its credentials',
    };
  if (a.status === 403) {
    return {
      check,
      verdict: 'problem',
      detail: `refused (403) with header "${api.clientHeader}"`,
      setting: 'SPEAKUP_CLIENT_SYSTEM (the subdomain of your SpeakUp login URL) and SPEAKUP_CLIENT_HEADER',
    };
  }
  if (a.status === 404)
    return {
      check,
      verdict: 'problem',
      detail: 'no list at /v1/public/issues (404)',
      setting: 'SPEAKUP_API_URL (a path prefix is kept)',
    };
  return { check, verdict: 'problem', detail: `answered ${a.status}`, setting: 'SPEAKUP_API_URL' };
}

/** Probes the list; a handful of requests. */
export async function probeList(http: ProbeHttp, api: ApiConfig): Promise<ListProbe> {
  const q = (page: number, size: number): string =>
    `v1/public/issues?${new URLSearchParams({ [api.pageParam]: String(page), [api.pageSizeParam]: String(size) }).toString()}`;
  const first = await http.get(q(1, SMALL));
  const refused = refusal('client header', first, api);
  if (refused) return { findings: [refused], ids: [], readable: false };
  const findings: Finding[] = [];
  const bare = await http.get(q(1, SMALL), { clientHeader: false });
  findings.push({
    check: 'client header',
    verdict: 'ok',
    detail: `"${api.clientHeader}" accepted; ${bare.status === 403 ? 'required (refused without it: 403)' : `not required (without it: ${bare.status || 'no answer'})`}`,
  });
  const shape = shapeOf(first.json);
  findings.push(shapeFinding(shape));
  if (shape.kind === 'unknown') return { findings, ids: [], readable: false };

  const p1 = itemsOf(first.json);
  const p2 = itemsOf((await http.get(q(2, SMALL))).json);
  const again = itemsOf((await http.get(q(1, SMALL))).json);
  const asked = Math.max(api.pageSize, 1000);
  const big = itemsOf((await http.get(q(1, asked))).json);
  const bigNext = big.length > 0 && big.length < asked ? itemsOf((await http.get(q(2, big.length))).json) : [];
  findings.push(pagingFinding(api, p1, p2));
  findings.push({
    check: 'list stability',
    verdict: same(p1, again) ? 'ok' : 'warning',
    detail: same(p1, again)
      ? 'two reads of page 1 agree'
      : 'two reads of page 1 differ: the order is not stable, so paging can miss or repeat issues',
  });
  findings.push(capFinding(api, asked, big, bigNext));
  findings.push(orderFinding(big));
  return { findings, ids: big.map((i) => i.id), readable: true };
}

function shapeFinding(shape: Shape): Finding {
  const check = 'list shape';
  if (shape.kind === 'array') return { check, verdict: 'ok', detail: 'a bare JSON array' };
  if (shape.kind === 'envelope' && ENVELOPE_KEYS.includes(shape.key))
    return { check, verdict: 'ok', detail: `an envelope, items under "${shape.key}"` };
  if (shape.kind === 'envelope')
    return {
      check,
      verdict: 'problem',
      detail: `an envelope with its items under "${shape.key}", which the sync does not read (it reads ${ENVELOPE_KEYS.join(', ')})`,
    };
  return { check, verdict: 'problem', detail: `neither an array nor an envelope (top-level keys: ${shape.keys})` };
}

function pagingFinding(api: ApiConfig, p1: Item[], p2: Item[]): Finding {
  const check = 'paging';
  const params = `"${api.pageParam}" and "${api.pageSizeParam}"`;
  if (p1.length === 0) return { check, verdict: 'warning', detail: 'the list is empty: paging not checked' };
  if (p1.length > SMALL && same(p1, p2)) {
    return {
      check,
      verdict: 'warning',
      detail: `not paged: ${api.pageSizeParam}=${SMALL} and ${api.pageParam}=2 both return the same ${p1.length} items (the sync reads it once)`,
      setting: 'SPEAKUP_PAGE_PARAM, SPEAKUP_PAGE_SIZE_PARAM',
    };
  }
  if (p1.length > SMALL) {
    return {
      check,
      verdict: 'warning',
      detail: `"${api.pageSizeParam}" ignored: asked for ${SMALL}, got ${p1.length}`,
      setting: 'SPEAKUP_PAGE_SIZE_PARAM',
    };
  }
  if (same(p1, p2)) {
    return {
      check,
      verdict: 'problem',
      detail: `"${api.pageParam}" ignored: page 2 repeats page 1, so a sync would stop after the first page`,
      setting: 'SPEAKUP_PAGE_PARAM',
    };
  }
  const ids1 = new Set(p1.map((i) => i.id));
  const overlap = p2.filter((i) => ids1.has(i.id)).length;
  if (overlap > 0)
    return {
      check,
      verdict: 'warning',
      detail: `pages 1 and 2 share ${overlap} of ${p2.length} items`,
      setting: 'SPEAKUP_PAGE_PARAM',
    };
  if (p2.length === 0) return { check, verdict: 'warning', detail: `only ${p1.length} issues: paging not checked` };
  return { check, verdict: 'ok', detail: `${params} honoured (pages 1 and 2 of ${SMALL} differ)` };
}

function capFinding(api: ApiConfig, asked: number, big: Item[], bigNext: Item[]): Finding {
  const check = 'page-size cap';
  if (big.length === asked) return { check, verdict: 'ok', detail: `none up to ${asked}` };
  if (bigNext.length === 0)
    return { check, verdict: 'ok', detail: `none seen: asked for ${asked}, got the whole list (${big.length})` };
  if (same(big, bigNext)) return { check, verdict: 'warning', detail: 'not measurable: the page parameter is ignored' };
  const setting =
    api.pageSize > big.length
      ? `SPEAKUP_PAGE_SIZE=${big.length} (now ${api.pageSize}: short pages, the sync copes)`
      : undefined;
  return {
    check,
    verdict: setting ? 'warning' : 'ok',
    detail: `${big.length} items per page at most (asked for ${asked})`,
    ...(setting ? { setting } : {}),
  };
}

/** The order of the items: by id, by updatedAt, or unknown. */
export function orderFinding(items: Item[]): Finding {
  const check = 'list order';
  if (items.length < 3) return { check, verdict: 'warning', detail: `too few items (${items.length}) to tell` };
  const pairs = items.slice(1).map((it, i) => [items[i]!, it] as const);
  const byUpdated = items.every((i) => i.updatedAt !== undefined);
  if (pairs.every(([a, b]) => a.id < b.id)) return { check, verdict: 'ok', detail: 'by id, ascending' };
  const moving =
    'an issue updated while a sync pages moves, so another can be missed and stay marked deleted until the next run lists it';
  if (pairs.every(([a, b]) => a.id > b.id))
    return {
      check,
      verdict: 'warning',
      detail: 'by id, descending (newest first): new issues shift the pages while a sync reads them',
    };
  if (byUpdated && pairs.every(([a, b]) => a.updatedAt! >= b.updatedAt!))
    return { check, verdict: 'warning', detail: `by updatedAt, newest first: ${moving}` };
  if (byUpdated && pairs.every(([a, b]) => a.updatedAt! <= b.updatedAt!))
    return { check, verdict: 'warning', detail: `by updatedAt, oldest first: ${moving}` };
  return { check, verdict: 'warning', detail: 'unknown (neither by id nor by updatedAt)' };
}
