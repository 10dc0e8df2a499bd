/**
 * The PostgreSQL side of the remap step and of schema drift (the core's MappingStore port): stored
 * details read back by id, issues rewritten from a new mapping, the detail paths runs have seen, and
 * small settings. As on SQLite, a remap rewrites only what the mapper produces: deletion marks,
 * sightings, first-seen times, the stored JSON and its fetch time stay.
 */
import type pg from 'pg';
import type { MappedIssue, MappingStore, StoredDetail } from '../../sync/ports.js';
import { diffTracked, type TrackedValues } from '../history.js';
import { inTransaction } from './connect.js';
import { quoteSchema } from './names.js';
import { FIELD_KEYS, ISSUE_COLUMNS } from './write-statements.js';
import { canonicalJson, tracked } from './writes.js';

/** The mapped columns a remap rewrites: the writer's, less the id and what belongs to the stored detail. */
const NOT_REMAPPED = new Set(['id', 'updated_at', 'data', 'synced_at']);
const REMAPPED = ISSUE_COLUMNS.filter(([name]) => !NOT_REMAPPED.has(name));

/** The statements of one mirror schema; rows travel as one array parameter per column. */
function statements(schema: string) {
  const q = quoteSchema(schema);
  const cols = [['id', 'id', 'bigint'] as const, ...REMAPPED];
  const unnest = `unnest(${cols.map(([, , type], i) => `$${i + 1}::${type}[]`).join(', ')}) AS u(${cols.map(([c]) => c).join(', ')})`;
  return {
    // The JSON is turned into text after the LIMIT: without statistics (a table just filled, before
    // autovacuum analyses it) the planner sorts every row, and would convert every detail for a page.
    stored: `SELECT id, data::text AS data, synced_at AS "syncedAt" FROM (SELECT id, data, synced_at FROM ${q}.issues
      WHERE id > $1 AND purged_at IS NULL AND erased_at IS NULL AND ($3::timestamptz IS NULL OR synced_at < $3::timestamptz)
      ORDER BY id LIMIT $2) s ORDER BY id`,
    // Only issues with content are remapped: one erased or purged meanwhile keeps no content.
    tracked: `SELECT id, status, assignee_id, domain_id::text AS domain, due_at, labels::text AS labels FROM ${q}.issues
      WHERE id = ANY($1::bigint[]) AND erased_at IS NULL AND purged_at IS NULL FOR UPDATE`,
    update: `UPDATE ${q}.issues i SET ${REMAPPED.map(([c, , , cast]) => `${c} = u.${c}${cast ? `::${cast}` : ''}`).join(', ')}
      FROM ${unnest} WHERE i.id = u.id`,
    deleteFields: `DELETE FROM ${q}.issue_field_values WHERE issue_id = ANY($1::bigint[])`,
    insertFields: `INSERT INTO ${q}.issue_field_values (issue_id, position, form_id, form_name, field_id, label, type, value_text, value_number, value_json)
      SELECT u.issue_id, u.position, u.form_id, u.form_name, u.field_id, u.label, u.type, u.value_text, u.value_number, u.value_json::jsonb
      FROM unnest($1::bigint[], $2::integer[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::float8[], $10::text[])
        AS u(issue_id, position, form_id, form_name, field_id, label, type, value_text, value_number, value_json)`,
    upsertFts: `INSERT INTO ${q}.issues_fts (issue_id, summary, description, field_text)
      SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[])
      ON CONFLICT (issue_id) DO UPDATE SET summary = excluded.summary, description = excluded.description, field_text = excluded.field_text`,
    insertChanges: `INSERT INTO ${q}.issue_changes (issue_id, run_id, field, old_value, new_value, observed_at)
      SELECT u.issue_id, $1, u.field, u.old_value, u.new_value, $2
      FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS u(issue_id, field, old_value, new_value, ord)
      ORDER BY u.ord`,
    known: `SELECT path, details_seen AS "detailsSeen", details_total AS "detailsTotal", missing_since_run AS "missingSinceRun"
      FROM ${q}.detail_paths ORDER BY path`,
    addTotal: `UPDATE ${q}.detail_paths SET details_total = details_total + $1`,
    seePaths: `INSERT INTO ${q}.detail_paths (path, first_seen_run, first_seen_at, last_seen_run, last_seen_at, details_seen, details_total)
      SELECT u.path, $1, $2, $1, $2, u.n, $3 FROM unnest($4::text[], $5::integer[]) AS u(path, n)
      ON CONFLICT (path) DO UPDATE SET last_seen_run = excluded.last_seen_run, last_seen_at = excluded.last_seen_at,
        missing_since_run = NULL, details_seen = detail_paths.details_seen + excluded.details_seen`,
    losePaths: `UPDATE ${q}.detail_paths SET missing_since_run = $1 WHERE path = ANY($2::text[]) AND missing_since_run IS NULL`,
    getSetting: `SELECT value FROM ${q}.settings WHERE key = $1`,
    putSetting: `INSERT INTO ${q}.settings (key, value, updated_at) VALUES ($1, $2, $3)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  };
}

interface TrackedRow {
  id: number;
  status: string | null;
  assignee_id: string | null;
  domain: string | null;
  due_at: string | null;
  labels: string | null;
}

/** Rewrites the mapped content of the stored issues among `records`, with their history, in one transaction. */
async function remap(
  pool: pg.Pool,
  st: ReturnType<typeof statements>,
  records: readonly MappedIssue[],
  runId: number,
  at: string,
): Promise<void> {
  // A duplicate id: the last record wins, as on SQLite, where each one is applied in turn.
  const latest = new Map(records.map((r) => [r.issue.id, r]));
  await inTransaction(pool, async (client) => {
    const { rows } = await client.query<TrackedRow>(st.tracked, [[...latest.keys()]]);
    const todo = rows.map((r) => latest.get(r.id)!);
    if (todo.length === 0) return;
    const changes: unknown[][] = [[], [], [], []];
    for (const r of rows) {
      const old = { status: r.status, assignee: r.assignee_id, domain: r.domain, due_at: r.due_at };
      const before: TrackedValues = { ...old, labels: canonicalJson(r.labels) };
      for (const c of diffTracked(before, tracked(latest.get(r.id)!.issue))) {
        [r.id, c.field, c.oldValue, c.newValue].forEach((v, i) => changes[i]!.push(v));
      }
    }
    await client.query(st.update, [
      todo.map((r) => r.issue.id),
      ...REMAPPED.map(([, key]) => todo.map((r) => r.issue[key])),
    ]);
    await client.query(st.deleteFields, [todo.map((r) => r.issue.id)]);
    const fields = todo.flatMap((r) => r.fields);
    if (fields.length > 0)
      await client.query(
        st.insertFields,
        FIELD_KEYS.map((k) => fields.map((f) => f[k])),
      );
    await client.query(st.upsertFts, [
      todo.map((r) => r.issue.id),
      todo.map((r) => r.fts.summary),
      todo.map((r) => r.fts.description),
      todo.map((r) => r.fts.fieldText),
    ]);
    if (changes[0]!.length > 0) await client.query(st.insertChanges, [runId, at, ...changes]);
  });
}

/** The mapping port of mirror `schema`. */
export function createPgMappingStore(pool: pg.Pool, schema: string): MappingStore {
  const st = statements(schema);
  return {
    async storedDetails(afterId, limit, before) {
      return (await pool.query<StoredDetail>(st.stored, [afterId, limit, before ?? null])).rows;
    },
    remapIssues: (records, runId, at) =>
      records.length === 0 ? Promise.resolve() : remap(pool, st, records, runId, at),
    async knownPaths() {
      return (await pool.query(st.known)).rows;
    },
    async recordPaths({ runId, at, details, seen, lost }) {
      await inTransaction(pool, async (client) => {
        await client.query(st.addTotal, [details]);
        if (seen.length > 0)
          await client.query(st.seePaths, [runId, at, details, seen.map(([p]) => p), seen.map(([, n]) => n)]);
        if (lost.length > 0) await client.query(st.losePaths, [runId, lost]);
      });
    },
    async getSetting(key) {
      const { rows } = await pool.query<{ value: string }>(st.getSetting, [key]);
      return rows[0]?.value;
    },
    async putSetting(key, value, at) {
      await pool.query(st.putSetting, [key, value, at]);
    },
  };
}
