/**
 * Schema drift: each run compares the detail paths its details held with the paths runs saw before. A
 * path never seen is new (SpeakUp added a field); a path the field map reads that stopped appearing in
 * enough details to tell is lost (a field renamed or dropped: its column goes empty). Each is reported
 * once: the store remembers what it has reported.
 */
import type { Logger } from 'pino';
import { FIELD_COLUMNS, FORM_COLUMNS, type FieldMap, type FieldMapColumn } from './field-map.js';
import { createPathCollector, mergeSightings, type PathSighting } from './detail-paths.js';
import type { KnownPath, MappingStore } from './ports.js';

/** Fewest details a run must have fetched before the absence of a path means anything. */
export const MIN_DETAILS_FOR_LOSS = 10;
/** A path is lost when, as common as it was, missing from every detail of the run would be this unlikely. */
const LOSS_CHANCE = 0.001;

/** What a run's paths say against what was known. */
export interface Drift {
  /** Paths never seen before (empty on the first run with paths: that run records the baseline). */
  added: string[];
  /** Mapped paths that stopped appearing (and were not reported missing already). */
  lost: string[];
  /** Paths reported missing before that are back. */
  back: string[];
}

/** The paths `map` reads, in detail-path notation (`forms[].fields[].value`). */
export function mappedPaths(map: FieldMap): Set<string> {
  const norm = (p: string): string => p.replace(/\.\d+(?=\.|$)/g, '[]');
  const path = (c: FieldMapColumn): string => norm(map.specs[c].path);
  const forms = `${path('forms')}[]`;
  const fields = `${forms}.${path('form_fields')}[]`;
  const out = new Set<string>();
  for (const [column, spec] of Object.entries(map.specs) as [FieldMapColumn, { path: string }][]) {
    if (column === 'forms' || column === 'form_fields') continue;
    if (FORM_COLUMNS.includes(column)) out.add(`${forms}.${norm(spec.path)}`);
    else if (FIELD_COLUMNS.includes(column)) out.add(`${fields}.${norm(spec.path)}`);
    else out.add(norm(spec.path));
  }
  return out;
}

/** Compares one run's paths (`seen`: path -> details holding it, out of `details`) with `known`. Pure. */
export function compareDrift(
  known: readonly KnownPath[],
  seen: ReadonlyMap<string, number>,
  details: number,
  mapped: ReadonlySet<string>,
): Drift {
  const byPath = new Map(known.map((k) => [k.path, k]));
  const added = known.length === 0 ? [] : [...seen.keys()].filter((p) => !byPath.has(p)).sort();
  const back = known.filter((k) => k.missingSinceRun !== null && seen.has(k.path)).map((k) => k.path);
  const lost: string[] = [];
  if (details >= MIN_DETAILS_FOR_LOSS) {
    for (const k of known) {
      if (!mapped.has(k.path) || k.missingSinceRun !== null || seen.has(k.path) || k.detailsTotal <= 0) continue;
      const share = Math.min(1, k.detailsSeen / k.detailsTotal);
      if ((1 - share) ** details < LOSS_CHANCE) lost.push(k.path);
    }
  }
  return { added, lost: lost.sort(), back: back.sort() };
}

/**
 * The end-of-run step: compares, logs each finding once, has the store record the run's paths; returns
 * the counts for the run log; undefined when there was nothing to compare (a store without drift support,
 * or a run that fetched nothing).
 */
export async function recordDrift(
  store: Partial<MappingStore>,
  seen: ReadonlyMap<string, number>,
  details: number,
  map: FieldMap,
  run: { runId: number; at: string; log: Logger; since?: string },
): Promise<{ newPaths: number; lostPaths: number } | undefined> {
  if (!store.knownPaths || !store.recordPaths || details === 0) return undefined;
  const known = await store.knownPaths();
  // The first comparison of a mirror that already holds issues: the baseline also covers what is stored.
  if (known.length === 0) ({ seen, details } = await withStored(store, seen, details, run.since));
  const drift = compareDrift(known, seen, details, mappedPaths(map));
  if (known.length === 0)
    run.log.info({ paths: seen.size }, 'recorded the detail paths of this run as the baseline for schema drift');
  for (const path of drift.added)
    run.log.warn(
      { path, code: 'DETAIL_PATH_NEW' },
      `detail path "${path}" appeared (new in the SpeakUp detail object); map it in SPEAKUP_FIELD_MAP if a column should hold it`,
    );
  for (const path of drift.lost) {
    run.log.warn(
      { path, details, code: 'DETAIL_PATH_LOST' },
      `mapped detail path "${path}" no longer appears in the ${details} details fetched; its column stays empty: run \`speakup-sync inspect\` and update SPEAKUP_FIELD_MAP`,
    );
  }
  for (const path of drift.back) run.log.info({ path }, `detail path "${path}" appears again`);
  await store.recordPaths({ runId: run.runId, at: run.at, details, seen: [...seen.entries()], lost: drift.lost });
  return { newPaths: drift.added.length, lostPaths: drift.lost.length };
}

/** Stored details read for a baseline, at most: enough to see the optional fields, bounded in time. */
const BASELINE_SAMPLE = 5000;
/** Characters of stored detail JSON read per page of the baseline, and in all. */
const BASELINE_PAGE_CHARS = 8 * 1024 * 1024;
const BASELINE_MAX_CHARS = 32 * 1024 * 1024;

/**
 * `seen` plus the paths of up to BASELINE_SAMPLE stored details and BASELINE_MAX_CHARS of their JSON
 * (a store that cannot read them: as is). Details stored since `since` (the run's start) are the run's
 * own, already in `seen`: counted once, and not parsed again (on a first sync, that is every one).
 */
async function withStored(
  store: Partial<MappingStore>,
  seen: ReadonlyMap<string, number>,
  details: number,
  since: string | undefined,
): Promise<{ seen: ReadonlyMap<string, number>; details: number }> {
  if (!store.storedDetails) return { seen, details };
  const collector = createPathCollector();
  // Pages sized by the details' length, starting with one, and a sample bounded in size as well as in
  // count: a mirror of huge details is read a few at a time, and only a few of them.
  for (let after = 0, read = 0, limit = 1, total = 0; read < BASELINE_SAMPLE && total < BASELINE_MAX_CHARS;) {
    const page = await store.storedDetails(after, limit);
    if (page.length === 0) break;
    let chars = 0;
    for (const s of page) {
      chars += s.data.length;
      if (!ownDetail(s.syncedAt, since)) collector.add(JSON.parse(s.data));
    }
    read += page.length;
    total += chars;
    after = page[page.length - 1]!.id;
    limit = Math.max(1, Math.min(500, Math.floor((BASELINE_PAGE_CHARS * page.length) / Math.max(1, chars))));
  }
  const merged = new Map(seen);
  return { seen: merged, details: details + mergeSightings(merged, collector.take()) };
}

/** Whether a detail stored at `syncedAt` was fetched by the run that started at `since` (ISO timestamps). */
function ownDetail(syncedAt: string, since: string | undefined): boolean {
  return since !== undefined && Date.parse(syncedAt) >= Date.parse(since);
}

/** One run's paths, summed over its writes. */
export interface PathTally {
  seen: Map<string, number>;
  details: number;
  add(sighting: PathSighting | undefined): void;
}

export function createPathTally(): PathTally {
  const tally: PathTally = {
    seen: new Map(),
    details: 0,
    add(sighting) {
      if (sighting) tally.details += mergeSightings(tally.seen, sighting);
    },
  };
  return tally;
}
