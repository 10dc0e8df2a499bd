/**
 * The remap step: every stored detail JSON goes through the mapper again with the current field map, so a
 * changed map reaches issues already in the mirror without refetching them (deleted issues included:
 * their detail is stored too). The store rewrites the typed columns, field values and search text and
 * records tracked-field changes; it leaves deletion marks, sightings and first-seen times alone.
 *
 * The mirror remembers a fingerprint of the map its rows were last remapped with, so a run can say when
 * the map changed since.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { describeError, SyncError } from '../errors.js';
import { itemFailure } from './detail-writer.js';
import type { FieldMap } from './field-map.js';
import type { ItemFailure, MappedIssue, MappingStore, StoredDetail, SyncStore } from './ports.js';
import { toIssueRecord } from './map-issue.js';

/** The settings key of the field map's fingerprint. */
export const FIELD_MAP_SETTING = 'field_map.fingerprint';
const PAGE = 500;

/** Turns one stored detail into the records to store (the mapper with the current map, by default). */
export type RemapRecord = (stored: StoredDetail, detail: unknown) => MappedIssue;

/** What a remap did. */
export interface RemapResult {
  remapped: number;
  failures: ItemFailure[];
}

/** A short, stable fingerprint of what `map` reads (the defaults included, so a new default counts as a change). */
export function fieldMapFingerprint(map: FieldMap): string {
  const text = JSON.stringify(Object.entries(map.specs).map(([c, s]) => [c, s.path, s.as ?? 'iso']));
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Remaps every stored detail, a page per transaction; a detail that no longer maps fails alone. */
export async function remapStored(
  store: MappingStore,
  map: FieldMap,
  runId: number,
  at: string,
  toRecord: RemapRecord = (s, d) => toIssueRecord(d, s.syncedAt, s.id, s.data, map),
): Promise<RemapResult> {
  const failures: ItemFailure[] = [];
  let remapped = 0;
  for (let after = 0; ;) {
    const page = await store.storedDetails(after, PAGE);
    if (page.length === 0) break;
    const records: MappedIssue[] = [];
    for (const s of page) {
      try {
        records.push(toRecord(s, JSON.parse(s.data)));
      } catch (err) {
        failures.push(itemFailure(s.id, err));
      }
    }
    if (records.length > 0) await store.remapIssues(records, runId, at);
    remapped += records.length;
    after = page[page.length - 1]!.id;
  }
  await store.putSetting(FIELD_MAP_SETTING, fieldMapFingerprint(map), at);
  return { remapped, failures };
}

/**
 * At the start of a run: warns when the map differs from the one the stored rows were last mapped with.
 * The first run of a mirror records the current map (there is nothing to remap yet).
 */
export async function checkFieldMap(
  store: Partial<MappingStore>,
  map: FieldMap,
  at: string,
  log: Logger,
): Promise<void> {
  if (!store.getSetting || !store.putSetting) return;
  const stored = await store.getSetting(FIELD_MAP_SETTING);
  const now = fieldMapFingerprint(map);
  if (stored === undefined) await store.putSetting(FIELD_MAP_SETTING, now, at);
  else if (stored !== now) {
    log.warn(
      { code: 'FIELD_MAP_CHANGED', fingerprint: now, previous: stored },
      'the field map (SPEAKUP_FIELD_MAP) changed since the stored issues were mapped: issues fetched from now on use the new map; run `speakup-sync sync --remap` to re-map the stored ones from their detail JSON',
    );
  }
}

/** What the run-time steps need of a run. */
interface RunContext {
  runId: number;
  log: Logger;
  counts: { remapped?: number };
  now: () => Date;
}

/**
 * The start of a run: a run asked to remap (`sync --full`) first remaps the stored issues, then
 * refetches; any other run warns when the map changed since the last remap. A failing remap is logged, not fatal: the
 * refetch maps every issue it fetches with the current map anyway.
 */
export async function mapAtRunStart(
  store: Partial<MappingStore>,
  map: FieldMap,
  remap: boolean,
  run: RunContext,
): Promise<void> {
  const at = run.now().toISOString();
  try {
    if (!remap || !isMappingStore(store)) return await checkFieldMap(store, map, at, run.log);
    const { remapped, failures } = await remapStored(store, map, run.runId, at);
    run.counts.remapped = remapped;
    run.log.info({ remapped, failed: failures.length }, 'remapped the stored issues from their detail JSON');
    for (const f of failures.slice(0, 10)) run.log.warn({ issueId: f.issueId, code: f.code }, `remap: ${f.message}`);
  } catch (err) {
    run.log.warn(
      { code: 'REMAP_FAILED' },
      `remapping the stored issues failed, the run goes on: ${describeError(err)}`,
    );
  }
}

/** Whether `store` implements the whole mapping port. */
export function isMappingStore(store: Partial<MappingStore>): store is MappingStore {
  return Boolean(store.storedDetails && store.remapIssues && store.getSetting && store.putSetting);
}

/** What `sync --remap` did. */
export interface RemapRunResult extends RemapResult {
  runId: number;
}

/**
 * `sync --remap`: one run that only remaps, with no request to SpeakUp. It is logged as a run (the
 * history rows it writes name it), with `remapped` counted; failures are details that no longer map.
 */
export async function runRemap(
  store: SyncStore,
  map: FieldMap,
  log: Logger,
  now: () => Date = () => new Date(),
): Promise<RemapRunResult> {
  if (!isMappingStore(store))
    throw new SyncError('DB_ERROR', 'this database cannot remap stored issues; run `speakup-sync sync --full` instead');
  await store.interruptStaleRuns(now().toISOString());
  const runId = await store.startRun({ trigger: 'manual', full: false, startedAt: now().toISOString() });
  const runLog = log.child({ runId });
  runLog.info('remap started: mapping the stored issues again from their detail JSON, without fetching');
  try {
    const result = await remapStored(store, map, runId, now().toISOString());
    const first = result.failures[0]?.message;
    await store.finishRun(runId, {
      status: result.failures.length > 0 ? 'partial' : 'succeeded',
      finishedAt: now().toISOString(),
      counts: { remapped: result.remapped, failed: result.failures.length },
      error:
        first === undefined
          ? null
          : `${result.failures.length} stored detail(s) could not be remapped, first: ${first}`,
    });
    runLog.info({ remapped: result.remapped, failed: result.failures.length }, 'remap finished');
    return { runId, ...result };
  } catch (err) {
    await store.finishRun(runId, { status: 'failed', finishedAt: now().toISOString(), error: describeError(err) });
    throw err;
  }
}
