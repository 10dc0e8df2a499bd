/**
 * Every token provider (SPEAKUP_AUTH) through the same end-to-end suite against the emulator, so none is
 * second class: a full sync, token expiry in mid-run, bad credentials, throttled auth. Then what only one
 * provider has: the client-credentials Basic→body fallback, scopes and OAuth errors; Amplify's
 * one-user-per-process guard and its muted console.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AmplifyTokenProvider } from '../../src/auth/amplify.js';
import { ClientCredentialsProvider } from '../../src/auth/client-credentials.js';
import { createApi, createTokenProvider, openStore } from '../../src/cli/compose.js';
import { AUTH_KINDS } from '../../src/config/env-vars.js';
import { loadConfig } from '../../src/config/load.js';
import type { ClientCredentialsAuthConfig, Config } from '../../src/config/types.js';
import { createCognitoEmulator } from '../../src/emulator/cognito/index.js';
import { startEmulator, type Emulator, type StartEmulatorOptions } from '../../src/emulator/start.js';
import type { EmuHandler } from '../../src/emulator/types.js';
import { AuthError } from '../../src/errors.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { withRunLock } from '../../src/sync/run-lock.js';
import { runSync } from '../../src/sync/run-sync.js';
import type { SyncResult } from '../../src/sync/types.js';
import { serveHandler } from '../helpers/serve-handler.js';

type Kind = (typeof AUTH_KINDS)[number];

/** An emulator, a temp directory for the SQLite file, and what every run of a test leaves behind. */
interface Rig {
  emu: Emulator;
  dir: string;
  dbPath: string;
  logs: string[];
}

const rigs: Rig[] = [];

async function rig(opts: StartEmulatorOptions): Promise<Rig> {
  const emu = await startEmulator({ seed: 7, ...opts });
  const dir = mkdtempSync(join(tmpdir(), 'speakup-auth-'));
  const r = { emu, dir, dbPath: join(dir, 'mirror.db'), logs: [] };
  rigs.push(r);
  return r;
}

afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.emu.close();
    rmSync(r.dir, { recursive: true, force: true });
  }
});

function configFor(kind: Kind, r: Rig, extra: Record<string, string> = {}): Config {
  const env = {
    ...r.emu.env(),
    SPEAKUP_AUTH: kind,
    SPEAKUP_DB: r.dbPath,
    SPEAKUP_RETRY_BASE_MS: '10',
    SPEAKUP_TIMEOUT_MS: '5000',
    ...extra,
  };
  return loadConfig(env, { dotenv: false, cwd: r.dir });
}

/** One sync the way `speakup-sync sync` runs it (compose.ts + runSync under the run lock, on the writer thread), logging at debug into r.logs. */
async function syncOnce(kind: Kind, r: Rig, extra: Record<string, string> = {}): Promise<SyncResult> {
  const config = configFor(kind, r, extra);
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      r.logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const log = createLogger({ level: 'debug', pretty: false, destination: sink });
  const db = openStore(config, log);
  const tokens = createTokenProvider(config, log);
  const api = createApi(config, tokens, log);
  try {
    // With the writer and checkpoint threads, as the CLI runs it.
    return await withRunLock(db.lock, { wait: false, log }, () =>
      db.withRunThreads((writer) =>
        runSync(
          { api, store: db.store, writer, log },
          {
            full: false,
            concurrency: config.api.concurrency,
            trigger: 'manual',
            maxDeleteShare: config.maxDeleteShare,
            allowMassDelete: false,
          },
        ),
      ),
    );
  } finally {
    api.close();
    db.close();
    // Amplify holds one user per process: each run releases it (the CLI's single run simply exits).
    if (tokens instanceof AmplifyTokenProvider) await tokens.close();
  }
}

function mirror(r: Rig): {
  live: number[];
  deleted: number;
  lastRun: { status: string; error: string | null } | undefined;
} {
  const db = new Database(r.dbPath, { readonly: true });
  try {
    const live = (
      db.prepare('SELECT id FROM issues WHERE deleted_at IS NULL ORDER BY id').all() as { id: number }[]
    ).map((x) => x.id);
    const deleted = (db.prepare('SELECT count(*) AS n FROM issues WHERE deleted_at IS NOT NULL').get() as { n: number })
      .n;
    const lastRun = db.prepare('SELECT status, error FROM sync_runs ORDER BY id DESC LIMIT 1').get() as
      { status: string; error: string | null } | undefined;
    return { live, deleted, lastRun };
  } finally {
    db.close();
  }
}

/** Asserts that no credential or token appears in the logs or in any file next to the database. */
function expectNoSecrets(r: Rig, extra: string[] = []): void {
  const secrets = [r.emu.password, r.emu.oauthClient.clientSecret, ...r.emu.cognito.issuedSecrets(), ...extra];
  const logs = r.logs.join('');
  const files = readdirSync(r.dir).map((f) => readFileSync(join(r.dir, f)).toString('latin1'));
  for (const s of secrets) {
    expect(logs.includes(s), 'a secret in the logs').toBe(false);
    expect(
      files.some((f) => f.includes(s)),
      'a secret in the database files',
    ).toBe(false);
  }
}

/**
 * Emulator operations a run with 2 s tokens must show, at least this often: renewals (refresh, or a new
 * client-credentials token) and, for the Cognito providers, a second login once the refresh token expired.
 */
const RENEWAL_OPS: Record<Kind, Record<string, number>> = {
  password: { 'InitiateAuth:REFRESH_TOKEN_AUTH': 1, 'InitiateAuth:USER_SRP_AUTH': 2 },
  'client-credentials': { 'oauth2/token': 3 },
  // Amplify also refreshes on its own whenever a token has < 5 s left (its tolerance), so with 2 s tokens
  // it calls GetTokensFromRefreshToken more often than we ask; with SpeakUp's 10 min tokens it does not.
  amplify: { GetTokensFromRefreshToken: 1, 'InitiateAuth:USER_SRP_AUTH': 2 },
};

describe.each(AUTH_KINDS)('SPEAKUP_AUTH=%s', (kind) => {
  it('mirrors every issue, and no secret reaches the logs or the database', async () => {
    const r = await rig({ issues: 80 });
    const result = await syncOnce(kind, r);
    expect(result.status).toBe('succeeded');
    expect(result.counts).toMatchObject({ listed: 80, fetched: 80, failed: 0 });
    expect(mirror(r).live).toEqual(r.emu.data.ids());
    expectNoSecrets(r);
  });

  it('renews expiring tokens in mid-run (refresh, then a new login) and completes the mirror', async () => {
    // 2 s tokens and refresh tokens, and latency so that the run outlasts both.
    const r = await rig({
      issues: 30,
      cognito: { idTokenTtlSec: 2, accessTokenTtlSec: 2, refreshTokenTtlSec: 2, oauthTokenTtlSec: 2 },
      knobs: { latencyMs: 200 },
    });
    const started = Date.now();
    const result = await syncOnce(kind, r, { SPEAKUP_CONCURRENCY: '2' });
    expect(Date.now() - started).toBeGreaterThan(3000);
    expect(result.status).toBe('succeeded');
    expect(mirror(r).live).toEqual(r.emu.data.ids());
    const ops = r.emu.cognito.counters.operations;
    for (const [op, min] of Object.entries(RENEWAL_OPS[kind])) expect(ops[op] ?? 0, op).toBeGreaterThanOrEqual(min);
    expectNoSecrets(r);
  });

  it('bad credentials: a fatal run with a clear message, and nothing stored is lost', async () => {
    const r = await rig({ issues: 25 });
    expect((await syncOnce(kind, r)).status).toBe('succeeded');
    const wrong = 'Wr0ng-Secret-Value!';
    const result = await syncOnce(
      kind,
      r,
      kind === 'client-credentials' ? { SPEAKUP_CLIENT_SECRET: wrong } : { SPEAKUP_PASSWORD: wrong },
    );

    expect(result.status).toBe('failed');
    expect(result.fatal).toBeInstanceOf(AuthError);
    const fatal = result.fatal as AuthError;
    if (kind === 'client-credentials') {
      expect(fatal.code).toBe('AUTH_INVALID_CLIENT');
      expect(fatal.message).toBe(
        `the token endpoint at ${new URL(r.emu.tokenUrl).host} refused client "${r.emu.appClientId}" (invalid_client): wrong client id or secret, or the App Integration was deleted; check SPEAKUP_APP_CLIENT_ID and SPEAKUP_CLIENT_SECRET`,
      );
      // Basic, then the body form once; no backoff loop on a wrong secret.
      expect(r.emu.cognito.counters.errors['invalid_client']).toBe(2);
    } else {
      expect(fatal.code).toBe('AUTH_NOT_AUTHORIZED');
      expect(fatal.message).toBe(
        'login refused for "sync-bot" (NotAuthorizedException): wrong username or password, or the account is disabled; check SPEAKUP_USERNAME and SPEAKUP_PASSWORD',
      );
      expect(r.emu.cognito.counters.errors['NotAuthorizedException']).toBe(1);
    }
    const after = mirror(r);
    expect(after.live).toEqual(r.emu.data.ids());
    expect(after.deleted).toBe(0);
    expect(after.lastRun).toEqual({ status: 'failed', error: fatal.message });
    expectNoSecrets(r, [wrong]);
  });

  it('throttled auth: retries with backoff and succeeds', async () => {
    const r = await rig({ issues: 20 });
    r.emu.cognito.knobs.throttleNext = 2;
    const result = await syncOnce(kind, r);
    expect(result.status).toBe('succeeded');
    expect(r.emu.cognito.counters.errors['TooManyRequestsException']).toBe(2);
    expect(mirror(r).live).toEqual(r.emu.data.ids());
  });
});

describe('client credentials against a strict token endpoint', () => {
  const SECRET = 's3cret/+=:x%';
  const emulator = createCognitoEmulator({
    userPoolId: 'eu-west-1_Integr8',
    appClientId: 'app',
    users: [],
    oauthClients: [
      { clientId: 'integ', clientSecret: SECRET, scopes: ['speakup/issues.read', 'speakup/issues.write'] },
      { clientId: 'no-cc', clientSecret: SECRET, allowClientCredentials: false },
    ],
  });
  const seen = { basic: 0, body: 0 };
  let bodyOnly = false;
  // Like servers that accept client credentials only in the body: Basic is answered invalid_client.
  const handler: EmuHandler = (req) => {
    if (req.headers.authorization) seen.basic++;
    else seen.body++;
    if (bodyOnly && req.headers.authorization) {
      return {
        status: 401,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: 'invalid_client' }),
      };
    }
    return emulator.handle(req);
  };
  let tokenUrl = '';
  let close: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    const served = await serveHandler(handler);
    tokenUrl = `${served.url}oauth2/token`;
    close = () => served.close();
  });
  afterAll(() => close());
  afterEach(() => {
    Object.assign(seen, { basic: 0, body: 0 });
    bodyOnly = false;
  });

  const provider = (auth: Partial<ClientCredentialsAuthConfig>) =>
    new ClientCredentialsProvider({
      auth: { kind: 'client-credentials', tokenUrl, clientId: 'integ', clientSecret: SECRET, scopes: [], ...auth },
      timeoutMs: 2000,
      retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryTimeMs: 2000, maxRetryAfterMs: 100 },
      log: silentLogger(),
    });

  it('falls back to the body form once, then remembers it', async () => {
    bodyOnly = true;
    const p = provider({ scopes: ['speakup/issues.read'] });
    const first = await p.getToken();
    expect(emulator.verifyToken(first).ok).toBe(true);
    p.invalidate(first);
    expect(await p.getToken()).not.toBe(first);
    expect(seen).toEqual({ basic: 1, body: 2 });
  });

  it('sends scopes and form-encodes the Basic credentials (RFC 6749 §2.3.1)', async () => {
    const token = await provider({ scopes: ['speakup/issues.read', 'speakup/issues.write'] }).getToken();
    expect(emulator.verifyToken(token).ok).toBe(true);
    expect(seen).toEqual({ basic: 1, body: 0 });
  });

  it('one token request however many callers wait', async () => {
    const p = provider({});
    const tokens = await Promise.all(Array.from({ length: 25 }, () => p.getToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(seen.basic).toBe(1);
  });

  it('invalid_scope and unauthorized_client are fatal at once, with what to fix', async () => {
    const host = new URL(tokenUrl).host;
    await expect(provider({ scopes: ['speakup/admin'] }).getToken()).rejects.toMatchObject({
      code: 'AUTH_INVALID_SCOPE',
      message: `the token endpoint at ${host} refused the scopes "speakup/admin" for client "integ" (invalid_scope); set SPEAKUP_SCOPES to scopes the App Integration grants, or unset it`,
    });
    await expect(provider({ clientId: 'no-cc' }).getToken()).rejects.toMatchObject({
      code: 'AUTH_UNAUTHORIZED_CLIENT',
      message:
        'App Integration "no-cc" may not use the client-credentials grant (unauthorized_client); enable machine-to-machine access for it in SpeakUp, or check SPEAKUP_APP_CLIENT_ID',
    });
    expect(seen).toEqual({ basic: 2, body: 0 });
  });

  it('an unreachable token endpoint is retried, then a clear network error', async () => {
    // A port that was just free: nothing listens there now.
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const { port } = gone.address() as AddressInfo;
    await new Promise((resolve) => gone.close(resolve));
    await expect(provider({ tokenUrl: `http://127.0.0.1:${port}/oauth2/token` }).getToken()).rejects.toMatchObject({
      code: 'AUTH_NETWORK',
      message: `cannot reach the token endpoint at 127.0.0.1:${port} (ECONNREFUSED); check connectivity and SPEAKUP_TOKEN_URL (gave up after 3 attempts)`,
    });
  });
});

describe('Amplify in one process', () => {
  afterEach(() => vi.restoreAllMocks());

  it('holds one Amplify user per process: a second live provider is refused until the first is closed', async () => {
    const r = await rig({ issues: 1 });
    const config = configFor('amplify', r);
    const first = createTokenProvider(config, silentLogger()) as AmplifyTokenProvider;
    expect(() => createTokenProvider(config, silentLogger())).toThrow(
      expect.objectContaining({ code: 'AUTH_PROVIDER_IN_USE' }),
    );
    await first.close();
    const second = createTokenProvider(config, silentLogger()) as AmplifyTokenProvider;
    await second.close();
  });

  it("keeps Amplify's console quiet (custom endpoint warning included) and restores its log level on close", async () => {
    const { ConsoleLogger } = await import('aws-amplify/utils');
    const writes = [
      vi.spyOn(console, 'warn'),
      vi.spyOn(console, 'log'),
      vi.spyOn(console, 'error'),
      vi.spyOn(console, 'info'),
    ];
    const r = await rig({ issues: 1 });
    const p = createTokenProvider(configFor('amplify', r), silentLogger()) as AmplifyTokenProvider;
    expect(r.emu.cognito.verifyToken(await p.getToken()).ok).toBe(true);
    await p.close();
    for (const w of writes) expect(w).not.toHaveBeenCalled();
    expect(ConsoleLogger.LOG_LEVEL).toBeNull();
  });

  it('an unconfirmed user (a next step in Amplify, not an exception) gets the same error as with the default provider', async () => {
    const r = await rig({ issues: 1 });
    const config = configFor('amplify', r, {
      SPEAKUP_USERNAME: r.emu.unconfirmedUser.username,
      SPEAKUP_PASSWORD: r.emu.unconfirmedUser.password,
    });
    const p = createTokenProvider(config, silentLogger()) as AmplifyTokenProvider;
    try {
      await expect(p.getToken()).rejects.toMatchObject({ code: 'AUTH_USER_NOT_CONFIRMED' });
    } finally {
      await p.close();
    }
  });
});
