/**
 * Issue details shaped like the emulator's (2 forms, 10 fields of every type, ~700 characters of prose),
 * deterministic so that benchmark runs are comparable; as JSON text the way the HTTP client hands it over.
 */
// Deterministic pseudo-random text, so runs are comparable.
let seed = 42;
const rand = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const WORDS =
  'the report concerns a manager who asked staff to change invoices before the audit and several colleagues saw payments to a supplier without contract fraud harassment safety bribery privacy müller zürich café déjà'.split(
    ' ',
  );
const words = (n: number): string => Array.from({ length: n }, () => pick(WORDS)).join(' ');
const STATUSES = ['new', 'open', 'in_progress', 'waiting', 'closed'] as const;
const iso = (ms: number): string => new Date(ms).toISOString();

/** A detail shaped like the emulator's: 2 forms, 10 fields of every type, ~700 chars of prose. */
export function detail(id: number, version: number): Record<string, unknown> {
  const t = Date.UTC(2024, 0, 1) + id * 60_000;
  return {
    id,
    customId: `SUP-2024-${id}`,
    createdAt: iso(t),
    updatedAt: iso(t + version * 3_600_000),
    summary: words(8),
    description: words(110),
    status: pick(STATUSES),
    issueType: pick(['Case', 'Task']),
    channel: pick(['web', 'phone', 'letter']),
    domain: { id: 1 + (id % 7), name: `Domain ${id % 7}` },
    assignee: { id: 100 + (id % 13), name: `Case Handler ${id % 13}`, email: `h${id % 13}@example.com` },
    labels: [pick(['urgent', 'legal', 'hr']), pick(['finance', 'it'])],
    receivedAt: iso(t),
    acknowledgedAt: iso(t + 86_400_000),
    dueAt: iso(t + 30 * 86_400_000),
    closedAt: null,
    forms: [
      {
        id: 1,
        name: 'Intake',
        fields: [
          { id: 11, label: 'What happened?', type: 'text', value: words(40) },
          { id: 12, label: 'Where?', type: 'text', value: words(4) },
          { id: 13, label: 'Amount', type: 'number', value: Math.round(rand() * 100_000) / 100 },
          { id: 14, label: 'Date of incident', type: 'date', value: '2024-03-15' },
          { id: 15, label: 'Category', type: 'select', value: pick(['Fraud', 'Harassment', 'Safety']) },
        ],
      },
      {
        id: 2,
        name: 'Follow-up',
        fields: [
          { id: 21, label: 'Involved', type: 'multiselect', value: ['Finance', 'HR'] },
          { id: 22, label: 'Anonymous', type: 'boolean', value: rand() < 0.5 },
          { id: 23, label: 'Witnesses', type: 'number', value: Math.floor(rand() * 5) },
          { id: 24, label: 'Reported at', type: 'date', value: iso(t) },
          { id: 25, label: 'Notes', type: 'text', value: words(20) },
        ],
      },
    ],
  };
}

/**
 * Detail bodies as the HTTP client hands them over: JSON text decoded from bytes (a flat string; the
 * output of JSON.stringify is a rope that SQLite's binding would flatten first, which the sync never pays).
 */
export const wireDetails = (n: number, version: number): string[] =>
  Array.from({ length: n }, (_, i) => Buffer.from(JSON.stringify(detail(i + 1, version))).toString('utf8'));
