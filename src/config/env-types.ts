/**
 * The value schemas the variables table (env-vars.ts) is built from: numbers in a range, booleans,
 * durations, hosts, URLs, cron expressions, time zones and lists, each parsed from environment text.
 */
import { isIP } from 'node:net';
import cron from 'node-cron';
import * as z from 'zod';
import { schemaNameProblem } from '../db/postgres/names.js';
import { parseDuration } from './duration.js';

// Not zod's .int(): its failure aborts the whole parse, and the rules that span variables would not run.
export const int = (min: number, max: number) => z.coerce.number().refine(Number.isInteger).min(min).max(max);
export const num = (min: number, max: number) => z.coerce.number().min(min).max(max);
export const bool = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');
export const duration = z
  .string()
  .transform((v, ctx) => parseDuration(v) ?? (ctx.addIssue({ code: 'custom', message: 'duration' }), z.NEVER));
// The lock's stale limit: long enough for heartbeats well inside it (lockHeartbeatMs), at most a day.
export const lockStaleAfter = duration.refine((ms) => ms >= 1_000 && ms <= 86_400_000);
// An IP address or a DNS name: what net.Server#listen accepts as a host.
export const host = z
  .string()
  .trim()
  .refine((v) => isIP(v) !== 0 || /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(v));
// A retention: a duration, 0 (at once) or off (never).
export const retention = z
  .string()
  .trim()
  .transform((v, ctx) => {
    if (v === '0') return 0;
    if (v.toLowerCase() === 'off') return undefined;
    return parseDuration(v) ?? (ctx.addIssue({ code: 'custom', message: 'duration' }), z.NEVER);
  });
// Comma-separated, blanks dropped.
export const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
);
// Spliced into SQL as a quoted identifier, so only plain lower-case names (db/postgres/names.ts).
export const pgSchemaName = z
  .string()
  .trim()
  .refine((v) => schemaNameProblem(v) === undefined);
export const url = z.url({ protocol: /^https?$/ });
export const nonEmpty = z.string().trim().min(1);
export const cronExpression = nonEmpty.refine((v) => cron.validate(v));
export const timeZone = nonEmpty.refine(isTimeZone);
// Secrets are taken verbatim: trimming would silently change a password that has edge spaces.
export const secretValue = z.string().refine((v) => v.trim() !== '');
// RFC 6749 §3.3: scope = scope-token *( SP scope-token ), scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
export const scopes = z
  .string()
  .trim()
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+( +[\x21\x23-\x5B\x5D-\x7E]+)*$/)
  .transform((v) => v.split(/ +/));

function isTimeZone(tz: string): boolean {
  // The default needs no look-up: the first Intl time-zone look-up loads ICU's zone data, a start-up cost.
  if (tz === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
