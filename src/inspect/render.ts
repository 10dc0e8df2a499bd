/** The human-readable `inspect` report: one finding per line, the detail paths, a starting field map. */
import type { InspectReport, PathStat, Verdict } from './types.js';

const ORDER: Record<Verdict, number> = { problem: 0, warning: 1, ok: 2 };

function count(r: InspectReport, v: Verdict): number {
  return r.findings.filter((f) => f.verdict === v).length;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function pathLine(p: PathStat, sampled: number, width: number): string {
  const types = Object.entries(p.types)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  const len =
    p.maxLength === undefined
      ? ''
      : `  length ${p.minLength === p.maxLength ? p.minLength : `${p.minLength}-${p.maxLength}`}`;
  return `  ${p.path.padEnd(width)}  ${`${p.present}/${sampled}`.padStart(7)}  ${types}${len}`;
}

/** The whole text report (ends with a newline). */
export function renderInspect(r: InspectReport): string {
  const verdict = r.ok ? 'OK' : 'PROBLEMS';
  const lines = [
    `${verdict}: ${r.target}: ${plural(count(r, 'problem'), 'problem')}, ${plural(count(r, 'warning'), 'warning')}`,
    '',
  ];
  const width = Math.max(...r.findings.map((f) => f.check.length));
  const findings = r.findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => ORDER[a.f.verdict] - ORDER[b.f.verdict] || a.i - b.i);
  for (const { f } of findings) {
    lines.push(`${f.verdict.padEnd(7)}  ${f.check.padEnd(width)}  ${f.detail}${f.setting ? `  → ${f.setting}` : ''}`);
  }
  if (r.paths.length > 0) {
    const pw = Math.max(...r.paths.map((p) => p.path.length));
    lines.push('', `Detail paths in ${r.sampled} details (path, details with it, types seen, lengths; no values):`);
    lines.push(...r.paths.map((p) => pathLine(p, r.sampled, pw)));
  }
  if (r.columns.length > 0) {
    lines.push('');
    if (Object.keys(r.fieldMap).length === 0)
      lines.push('Field map: the built-in paths fit this sample; SPEAKUP_FIELD_MAP is not needed.');
    else {
      lines.push('Starting field map (save it as a file and set SPEAKUP_FIELD_MAP to its path):');
      // One column per line: easy to read, to diff and to edit, and still JSON.
      const entries = Object.entries(r.fieldMap).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
      lines.push('{', entries.join(',\n'), '}');
    }
  }
  return `${lines.join('\n')}\n`;
}
