/** Text for people: durations, byte sizes and aligned tables, as the CLI and the health checks print them. */

const UNITS: ReadonlyArray<[name: string, seconds: number]> = [
  ['d', 86_400],
  ['h', 3_600],
  ['min', 60],
  ['s', 1],
];

/** "12 s", "4 min", "3 min 4 s", "3 h 2 min", "2 d 4 h": the two largest units, whole seconds. */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.round(ms / 1000));
  const parts: string[] = [];
  for (const [name, seconds] of UNITS) {
    const n = Math.floor(rest / seconds);
    rest -= n * seconds;
    if (parts.length > 0 || n > 0) parts.push(n > 0 ? `${n} ${name}` : '');
    if (parts.length === 2) break;
  }
  const text = parts.filter(Boolean).join(' ');
  return text || '0 s';
}

/** As formatDuration, but under a minute with tenths of a second ("1.2 s"): how long a run or a step took. */
export function formatElapsed(ms: number): string {
  return ms < 60_000 ? `${(Math.max(0, ms) / 1000).toFixed(1)} s` : formatDuration(ms);
}

/** "812 B", "48 KB", "48.2 MB", "1.25 GB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${Math.round(n / 1024)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** An aligned text table with a header and a rule, numbers right-aligned, null shown empty; no trailing newline. */
export function renderTable(rows: ReadonlyArray<Record<string, unknown>>): string {
  if (rows.length === 0) return '(no rows)';
  const cols = Object.keys(rows[0]!);
  const right = cols.map((c) => typeof rows[0]![c] === 'number');
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (cells: string[]) =>
    cells
      .map((v, i) => (right[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    line(cols),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(cols.map((c) => cell(r[c])))),
  ].join('\n');
}

/** A table cell: SQLite values as they read, null as empty. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? '';
}
