/**
 * Word pools for the generated SpeakUp data set. Deliberately multilingual: SpeakUp is used across
 * Europe and beyond, so summaries and descriptions mix accents, CJK, Cyrillic, right-to-left scripts,
 * emoji (astral and ZWJ sequences), quotes, backslashes, tabs and U+2028, all valid JSON a mirror must
 * store byte for byte.
 */
import type { FieldType } from '../../api/types.js';

export const STATUSES = ['NEW', 'IN_PROGRESS', 'ON_HOLD', 'CLOSED'] as const;
export const ISSUE_TYPES = ['Case', 'Task'] as const;
export const CHANNELS = ['WEB', 'PHONE', 'APP', 'EMAIL', 'IN_PERSON'] as const;

export const DOMAINS: readonly { id: number; name: string }[] = [
  { id: 1, name: 'Compliance' },
  { id: 2, name: 'Human Resources' },
  { id: 3, name: 'Health & Safety' },
  { id: 4, name: 'Finance' },
  { id: 7, name: 'IT Security' },
  { id: 12, name: 'Gruppe Deutschland – Süd' },
];

// One handler has a string id: the API types allow `number | string`, so a mirror must cope with both.
export const ASSIGNEES: readonly { id: number | string; name: string; email: string }[] = [
  { id: 501, name: 'Anna de Vries', email: 'anna.devries@example.com' },
  { id: 502, name: 'José Álvarez', email: 'jose.alvarez@example.com' },
  { id: 503, name: 'Małgorzata Wiśniewska', email: 'm.wisniewska@example.com' },
  { id: 504, name: '佐藤 花子', email: 'hanako.sato@example.com' },
  { id: 505, name: 'Omar Haddad', email: 'omar.haddad@example.com' },
  { id: 'u-7f3a', name: 'Compliance Desk', email: 'compliance@example.com' },
];

export const LABELS = [
  'urgent',
  'anonymous',
  'retaliation',
  'follow-up',
  'gdpr',
  'external',
  'board',
  'légal',
] as const;

export const TOPICS = [
  'Suspected fraud in procurement',
  'Harassment by a team lead',
  'Safety violation on the production line',
  'Conflict of interest in supplier selection',
  'Data protection breach: customer list shared',
  'Bribery attempt by a contractor',
  'Retaliation after an earlier report',
  'Expense claim irregularities',
  'Discrimination in promotion decisions',
  'Environmental spill not reported',
  'Falsified quality test results',
  'Bullying in team chat 😠',
  'Unsafe working hours in the warehouse',
  'Soupçon de fraude — équipe comptabilité à Besançon',
  'Verstoß gegen Arbeitsschutz in der Halle Süd',
  '工場での安全規則違反の疑い',
  '采购部门涉嫌收受回扣',
  'تضارب مصالح في قسم المشتريات',
  'חשד להטרדה במשרד תל אביב',
  'Conflito de interesses na filial de São Paulo',
  'Нарушение техники безопасности на складе',
  'Team outing incident 👩‍👩‍👧 🎉',
] as const;

export const PLACES = [
  'Amsterdam office',
  'Lyon plant',
  'Warehouse 3',
  'Head office',
  'Kraków branch',
  'Singapore hub',
  'Zürich HQ',
] as const;

export const SENTENCES = [
  'The reporter states that the behaviour has been going on for several months.',
  'Invoices from the same supplier were approved by the same person who requested them.',
  'Several colleagues witnessed the incident but are afraid to speak up.',
  'The reporter asked to remain anonymous and will follow up through the portal.',
  'Attached photos show blocked emergency exits near the loading dock.',
  'He said: "nobody will ever check this" and laughed.',
  'Path mentioned in the e-mail: C:\\Finance\\2024\\bonus_überweisungen.xlsx',
  'Timeline:\t2024-03-01 first contact;\t2024-03-15 second meeting.',
  'Les faits se sont produits à la cantine, près de l’entrée principale.',
  'Die Vorgesetzte hat die Beschwerde nicht weitergeleitet.',
  '報告者によると、上司は記録を改ざんしたとのことです。',
  '举报人表示，此事已持续半年以上。',
  'المبلغ يطلب عدم الكشف عن هويته.',
  'Заявитель опасается увольнения.',
  'A line separator\u2028sits inside this sentence, and so does a paragraph separator\u2029.',
  'Emoji from the chat log: 😡🤐👀 — and a flag 🇳🇱.',
  'Amounts involved: €12,500.00 and ¥1,000,000 (approx.).',
] as const;

export const FIELD_TEXTS = [
  'Building B, 2nd floor',
  'Kantine / Erdgeschoss',
  '倉庫の裏口',
  'Unknown',
  'Sala de reuniões "Ipê"',
  'see attachment ✔',
] as const;

/** One custom field of a form template. */
export interface FieldTemplate {
  id: number | string;
  label: string;
  type: FieldType;
  options?: readonly string[];
}

/** A form template: forms are per issue, fields are drawn from these. */
export interface FormTemplate {
  id: number | string;
  name: string;
  fields: readonly FieldTemplate[];
}

// Every form covers all FIELD_TYPES, so any issue with a form exercises each type; the third template
// uses string ids because the API types allow them.
export const FORMS: readonly FormTemplate[] = [
  {
    id: 101,
    name: 'Intake form',
    fields: [
      { id: 1001, label: 'Incident location', type: 'text' },
      { id: 1002, label: 'People involved', type: 'number' },
      { id: 1003, label: 'Date of incident', type: 'date' },
      { id: 1004, label: 'Category', type: 'select', options: ['Fraud', 'Harassment', 'Safety', 'Privacy', 'Other'] },
      {
        id: 1005,
        label: 'Departments involved',
        type: 'multiselect',
        options: ['Sales', 'Finance', 'HR', 'Logistics', 'R&D'],
      },
      { id: 1006, label: 'Reported before', type: 'boolean' },
    ],
  },
  {
    id: 102,
    name: 'Investigation follow-up',
    fields: [
      { id: 2001, label: 'Findings', type: 'text' },
      { id: 2002, label: 'Estimated damage (EUR)', type: 'number' },
      { id: 2003, label: 'Next review', type: 'date' },
      { id: 2004, label: 'Risk level', type: 'select', options: ['Low', 'Medium', 'High', 'Critical'] },
      {
        id: 2005,
        label: 'Measures taken',
        type: 'multiselect',
        options: ['Interview', 'Audit', 'Suspension', 'Training', 'Police report'],
      },
      { id: 2006, label: 'Escalated to board', type: 'boolean' },
    ],
  },
  {
    id: 'wbp-3',
    name: 'Schutz der hinweisgebenden Person',
    fields: [
      { id: 'wbp-notes', label: 'Notizen', type: 'text' },
      { id: 'wbp-contacts', label: 'Anzahl Kontakte', type: 'number' },
      { id: 'wbp-feedback', label: 'Rückmeldung bis', type: 'date' },
      { id: 'wbp-channel', label: 'Bevorzugter Kanal', type: 'select', options: ['Portal', 'Telefon', 'Persönlich'] },
      { id: 'wbp-risks', label: 'Risiken', type: 'multiselect', options: ['Repressalien', 'Identifizierung', 'Keine'] },
      { id: 'wbp-consent', label: 'Einwilligung erteilt', type: 'boolean' },
    ],
  },
];
