/**
 * Composition of the whole emulator: the Cognito side (IdP) and the SpeakUp API side, each on its own
 * loopback port, with the credentials and SPEAKUP_* environment a sync needs to use them.
 * Used by the integration tests, `npm run demo`, `npm run bench` and `npm run emulator`.
 */
import { randomBytes } from 'node:crypto';
import { createApiCounters } from './api/counters.js';
import type { ApiCounters } from './api/counters.js';
import { createDataset } from './api/dataset.js';
import type { Dataset } from './api/dataset.js';
import { createApiHandler, normalizePrefix } from './api/handler.js';
import { createApiKnobs } from './api/knobs.js';
import type { ApiKnobs, ApiKnobsInit } from './api/knobs.js';
import { createCognitoEmulator } from './cognito/index.js';
import type { CognitoEmulator, CognitoEmulatorOptions } from './cognito/types.js';
import { startEmuServer } from './server.js';
import type { EmuServer } from './server.js';
import type { EmuHandler, EmuUser } from './types.js';

export interface StartEmulatorOptions {
  /** Number of generated issues. Default 250. */
  issues?: number;
  /** Seed of the data set and of the fault RNG. Default 1. */
  seed?: number;
  /** API port; 0 (default) picks a free one. */
  port?: number;
  /** IdP port; 0 (default) picks a free one. */
  idpPort?: number;
  /** Path prefix of the API, e.g. "/api" (kept in apiUrl). Default none. */
  prefix?: string;
  /** Client header name. Default "client". */
  clientHeader?: string;
  /** Client system name (the header's value). Default "showroom". */
  clientSystem?: string;
  /** Default "eu-west-1_SpeakUpEmu". */
  userPoolId?: string;
  /** Default "speakupemu0appclient000001" (26 characters, like Cognito's). */
  appClientId?: string;
  /** Confirmed service account. Default "sync-bot". */
  username?: string;
  /** Its password. Default: random, different at every start (so leak scans find it only where it leaked). */
  password?: string;
  /** More users, besides the service account and the unconfirmed "pending-bot". */
  users?: EmuUser[];
  /** The App Integration for client credentials. Default: client id = appClientId, random secret. */
  oauthClient?: { clientId: string; clientSecret: string };
  /** API knobs at start (all live-mutable later through `knobs`). */
  knobs?: ApiKnobsInit;
  /** Cognito options: token TTLs, clocks (`now` moves token expiry), allowUserPasswordAuth. */
  cognito?: Partial<Omit<CognitoEmulatorOptions, 'userPoolId' | 'appClientId' | 'users' | 'oauthClients'>>;
}

/** A running emulator. */
export interface Emulator {
  /** API base URL including the prefix, no trailing slash, e.g. "http://127.0.0.1:41234/api". */
  apiUrl: string;
  /** IdP endpoint for `CognitoUserPool({ endpoint })`, with a trailing slash. */
  cognitoEndpoint: string;
  /** OAuth2 token endpoint (client credentials). */
  tokenUrl: string;
  userPoolId: string;
  appClientId: string;
  username: string;
  password: string;
  /** A user that exists but is not confirmed (login fails with UserNotConfirmedException). */
  unconfirmedUser: { username: string; password: string };
  clientSystem: string;
  clientHeader: string;
  oauthClient: { clientId: string; clientSecret: string };
  /** The SPEAKUP_* variables a sync needs to use this emulator. */
  env(): Record<string, string>;
  cognito: CognitoEmulator;
  data: Dataset;
  knobs: ApiKnobs;
  counters: ApiCounters;
  /** Stops both servers, destroying open connections. */
  close(): Promise<void>;
}

/** Cognito-like password: upper, lower, digit and symbol, as a default pool policy demands. */
function generatePassword(): string {
  return `Emu-${randomBytes(12).toString('base64url')}-7a!`;
}

/** The accounts, names and path prefix of one emulator, with defaults filled in. */
type Identity = Pick<
  Emulator,
  | 'userPoolId'
  | 'appClientId'
  | 'username'
  | 'password'
  | 'unconfirmedUser'
  | 'clientHeader'
  | 'clientSystem'
  | 'oauthClient'
> & { prefix: string };

function resolveIdentity(opts: StartEmulatorOptions): Identity {
  const appClientId = opts.appClientId ?? 'speakupemu0appclient000001';
  const password = opts.password ?? generatePassword();
  const unconfirmedUser = { username: 'pending-bot', password: generatePassword() };
  return {
    userPoolId: opts.userPoolId ?? 'eu-west-1_SpeakUpEmu',
    appClientId,
    username: opts.username ?? 'sync-bot',
    password,
    unconfirmedUser,
    clientHeader: opts.clientHeader ?? 'client',
    clientSystem: opts.clientSystem ?? 'showroom',
    prefix: normalizePrefix(opts.prefix ?? ''),
    // Same id as the app client, so one SPEAKUP_APP_CLIENT_ID serves both login styles.
    oauthClient: opts.oauthClient ?? { clientId: appClientId, clientSecret: randomBytes(24).toString('base64url') },
  };
}

/** Starts the IdP, then the API; closes the IdP again when the API cannot start. */
async function startServers(
  idpHandler: EmuHandler,
  apiHandler: EmuHandler,
  opts: StartEmulatorOptions,
): Promise<{ idp: EmuServer; api: EmuServer }> {
  const idp = await startEmuServer(idpHandler, { port: opts.idpPort ?? 0 });
  try {
    return { idp, api: await startEmuServer(apiHandler, { port: opts.port ?? 0 }) };
  } catch (err) {
    await idp.close();
    throw err;
  }
}

/** The SPEAKUP_* variables a sync needs to use an emulator. */
function syncEnv(
  id: Identity,
  urls: { apiUrl: string; cognitoEndpoint: string; tokenUrl: string },
): Record<string, string> {
  return {
    SPEAKUP_API_URL: urls.apiUrl,
    SPEAKUP_CLIENT_SYSTEM: id.clientSystem,
    SPEAKUP_CLIENT_HEADER: id.clientHeader,
    SPEAKUP_USER_POOL_ID: id.userPoolId,
    SPEAKUP_APP_CLIENT_ID: id.appClientId,
    SPEAKUP_USERNAME: id.username,
    SPEAKUP_PASSWORD: id.password,
    SPEAKUP_COGNITO_ENDPOINT: urls.cognitoEndpoint,
    SPEAKUP_TOKEN_URL: urls.tokenUrl,
    SPEAKUP_CLIENT_SECRET: id.oauthClient.clientSecret,
  };
}

/** Starts the IdP and the API on loopback and returns everything needed to talk to them. */
export async function startEmulator(opts: StartEmulatorOptions = {}): Promise<Emulator> {
  const seed = opts.seed ?? 1;
  const id = resolveIdentity(opts);
  const { prefix, ...names } = id;
  const cognito = createCognitoEmulator({
    ...opts.cognito,
    userPoolId: id.userPoolId,
    appClientId: id.appClientId,
    users: [
      { username: id.username, password: id.password, confirmed: true },
      { ...id.unconfirmedUser, confirmed: false },
      ...(opts.users ?? []),
    ],
    oauthClients: [id.oauthClient],
  });
  const data = createDataset({ seed, count: opts.issues ?? 250 });
  const knobs = createApiKnobs(opts.knobs);
  const counters = createApiCounters();
  const handler = createApiHandler({
    data,
    verifyToken: (token) => cognito.verifyToken(token),
    knobs,
    counters,
    prefix,
    clientHeader: id.clientHeader,
    clientSystem: id.clientSystem,
    faultSeed: seed,
  });
  const { idp, api } = await startServers(cognito.handle, handler, opts);

  const urls = { apiUrl: `${api.url}${prefix}`, cognitoEndpoint: `${idp.url}/`, tokenUrl: `${idp.url}/oauth2/token` };
  return {
    ...urls,
    ...names,
    env: () => syncEnv(id, urls),
    cognito,
    data,
    knobs,
    counters,
    close: async () => {
      await Promise.all([api.close(), idp.close()]);
    },
  };
}
