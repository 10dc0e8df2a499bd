/**
 * The PASSWORD_VERIFIER TIMESTAMP: `ddd MMM D HH:mm:ss UTC YYYY` in English, day not zero-padded
 * (the library's DateHelper.getNowString; Java's "EEE MMM d HH:mm:ss z yyyy"). The string is signed,
 * so the server must see exactly the characters the client hashed.
 */

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const LOOSE = /^([A-Z][a-z]{2}) ([A-Z][a-z]{2}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) UTC (\d{4})$/;

/** Formats an instant the way the library does. */
export function formatSrpTimestamp(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${WEEKDAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/**
 * Parses a TIMESTAMP. `unparseable` when it is not the pattern at all (Cognito: InvalidParameterException);
 * `noncanonical` when it parses but is not what the library would write, e.g. "Sep 05" or a wrong weekday
 * (Cognito: NotAuthorizedException, as measured in https://github.com/ministackorg/ministack/pull/1758).
 */
export function parseSrpTimestamp(text: string): { ms: number } | 'unparseable' | 'noncanonical' {
  const m = LOOSE.exec(text);
  if (!m) return 'unparseable';
  const [weekday = '', mon = '', day = '', hh = '', mm = '', ss = '', yyyy = ''] = m.slice(1);
  const month = MONTHS.indexOf(mon);
  if (month < 0 || !WEEKDAYS.includes(weekday)) return 'unparseable';
  const ms = Date.UTC(Number(yyyy), month, Number(day), Number(hh), Number(mm), Number(ss));
  return formatSrpTimestamp(ms) === text ? { ms } : 'noncanonical';
}
