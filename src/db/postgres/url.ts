/**
 * SPEAKUP_DB as a PostgreSQL URL (`postgres://` or `postgresql://`; anything else is an SQLite path).
 *
 * The URL's password is a secret like the API password: only {@link PostgresTarget.connectionString}
 * carries it, and that goes to the driver and nowhere else; everything printable uses the redacted form.
 * As for the API, credentials do not travel in clear text to another machine: a host that is not this
 * machine needs sslmode=require (or verify-ca / verify-full) unless SPEAKUP_DB_ALLOW_PLAINTEXT=true.
 * Configuration (src/config) is meant to call {@link parsePostgresUrl} when SPEAKUP_DB is a URL.
 */
import { isIP } from 'node:net';
import { ConfigError } from '../../errors.js';

const SCHEMES = ['postgres:', 'postgresql:'];
/** sslmode values that encrypt the connection (node-postgres treats `require` as verify-full). */
const ENCRYPTED_MODES = ['require', 'verify-ca', 'verify-full'];
const KNOWN_MODES = ['disable', 'allow', 'prefer', 'no-verify', ...ENCRYPTED_MODES];
const SECRET = '***';
const NO_HOST = 'no-host.invalid';

export interface PostgresTarget {
  /** For the driver only: it holds the password. */
  readonly connectionString: string;
  /** The URL with its password replaced by ***: for logs, errors, `status`. */
  readonly redacted: string;
  /** Host name or address; a socket directory for Unix-domain sockets; '' for the driver's default. */
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly sslmode: string | undefined;
  /** Host is this machine (loopback address, localhost or a Unix socket). */
  readonly local: boolean;
}

export interface PostgresUrlOptions {
  /** SPEAKUP_DB_ALLOW_PLAINTEXT: accept a remote host without TLS. */
  allowPlaintext?: boolean;
}

/** Whether SPEAKUP_DB names a PostgreSQL database rather than an SQLite file. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value.trim());
}

/** `value` with any password of a `scheme://user:password@host` URL replaced by ***, parsable or not. */
export function redactUrl(value: string): string {
  // Greedy up to the last '@' of the authority: a password may hold an unencoded '@'.
  return value
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^/?#]*@/i, `$1:${SECRET}@`)
    .replace(/([?&]password=)[^&#]*/gi, `$1${SECRET}`);
}

/** Parses and checks a PostgreSQL URL; throws ConfigError (exit 78) naming the problem, never the password. */
export function parsePostgresUrl(value: string, options: PostgresUrlOptions = {}): PostgresTarget {
  const redacted = redactUrl(value.trim());
  let url: URL;
  try {
    // An empty host (`postgres:///db`, `postgres://u:pw@/db?host=/run/postgresql`) means the local socket,
    // which the URL parser does not accept with credentials: parse it with a placeholder host.
    url = new URL(value.trim().replace(/^([a-z]+:\/\/(?:[^/?#]*@)?)(?=[/?#]|$)/i, `$1${NO_HOST}`));
  } catch {
    throw new ConfigError([
      `SPEAKUP_DB: not a valid PostgreSQL URL (got "${redacted}"); expected postgres://user:password@host:5432/database`,
    ]);
  }
  if (!SCHEMES.includes(url.protocol.toLowerCase())) {
    throw new ConfigError([`SPEAKUP_DB: expected a postgres:// or postgresql:// URL (got "${redacted}")`]);
  }
  const sslmode = url.searchParams.get('sslmode') ?? undefined;
  if (sslmode !== undefined && !KNOWN_MODES.includes(sslmode)) {
    throw new ConfigError([
      `SPEAKUP_DB: unknown sslmode "${sslmode}" (expected one of ${KNOWN_MODES.join(', ')}) in "${redacted}"`,
    ]);
  }
  // A `host` query parameter (a socket directory) overrides the authority, as libpq and node-postgres do.
  const host = url.searchParams.get('host') ?? (url.hostname === NO_HOST ? '' : decodeURIComponent(url.hostname));
  const local = isLocalHost(host);
  if (!local && !ENCRYPTED_MODES.includes(sslmode ?? '') && !options.allowPlaintext) {
    throw new ConfigError([
      `SPEAKUP_DB: PostgreSQL host "${host}" is not this machine and the URL does not require TLS; ` +
        'add ?sslmode=require (or verify-full) to the URL, or set SPEAKUP_DB_ALLOW_PLAINTEXT=true to send the password unencrypted',
    ]);
  }
  const user = decodeURIComponent(url.username);
  return Object.freeze({
    connectionString: value.trim(),
    redacted,
    host,
    port: url.port ? Number(url.port) : 5432,
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || user,
    user,
    sslmode,
    local,
  });
}

/** Loopback addresses, `localhost`, a Unix socket directory, or no host (the driver's local default). */
export function isLocalHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === '' || h.startsWith('/') || h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}
