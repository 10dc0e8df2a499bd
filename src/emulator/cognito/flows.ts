/**
 * The user-pool operations amazon-cognito-identity-js and Amplify v6 call to log in and refresh:
 * InitiateAuth (USER_SRP_AUTH, USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH/REFRESH_TOKEN),
 * RespondToAuthChallenge (PASSWORD_VERIFIER) and GetTokensFromRefreshToken.
 * Each takes the parsed JSON body and returns the answer body, or throws an IdpError.
 */
import { IDP_MESSAGES, IdpError, missingMember, missingParameter, unknownClient } from './errors.js';
import type { SecretBlockSealer } from './secret-block.js';
import {
  createServerEphemeral,
  MAX_SRP_A_HEX,
  N,
  parseHex,
  passwordMatches,
  scramble,
  serverSessionKey,
  signatureMatches,
} from './srp.js';
import { parseSrpTimestamp } from './timestamp.js';
import type { TokenService } from './tokens.js';
import type { PoolUser } from './users.js';

/** What the operations need from the emulator. */
export interface FlowContext {
  poolName: string;
  appClientId: string;
  allowUserPasswordAuth: boolean;
  users: ReadonlyMap<string, PoolUser>;
  tokens: TokenService;
  sealer: SecretBlockSealer;
  now: () => number;
  /** The clock the TIMESTAMP is compared with (see CognitoEmulatorOptions.wallClock). */
  wallClock: () => number;
  srpTimestampSkewMs: number;
}

type Json = Record<string, unknown>;

// Cognito's sign-in session lasts 3 minutes by default ("Authentication flow session duration").
const CHALLENGE_TTL_MS = 3 * 60_000;
const AUTH_FLOWS = [
  'USER_SRP_AUTH',
  'REFRESH_TOKEN_AUTH',
  'REFRESH_TOKEN',
  'CUSTOM_AUTH',
  'ADMIN_NO_SRP_AUTH',
  'USER_PASSWORD_AUTH',
  'ADMIN_USER_PASSWORD_AUTH',
  'USER_AUTH',
];

/** InitiateAuth: a challenge for SRP, tokens for USER_PASSWORD_AUTH and for a refresh. */
export function initiateAuth(ctx: FlowContext, input: Json): Json {
  checkClient(ctx, input['ClientId']);
  const flow = input['AuthFlow'];
  if (typeof flow !== 'string') throw missingMember('authFlow');
  const params = record(input['AuthParameters']);
  switch (flow) {
    case 'USER_SRP_AUTH':
      return startSrp(ctx, params);
    case 'USER_PASSWORD_AUTH':
      return passwordLogin(ctx, params);
    case 'REFRESH_TOKEN_AUTH':
    case 'REFRESH_TOKEN': {
      const token = required(params, 'REFRESH_TOKEN');
      return {
        AuthenticationResult: ctx.tokens.refresh(token, ctx.appClientId, (name) => ctx.users.get(name)),
        ChallengeParameters: {},
      };
    }
    case 'CUSTOM_AUTH':
      throw new IdpError(
        'InvalidParameterException',
        'Custom auth lambda trigger is not configured for the user pool.',
      );
    case 'ADMIN_NO_SRP_AUTH':
    case 'ADMIN_USER_PASSWORD_AUTH':
      throw new IdpError('InvalidParameterException', 'Initiate Auth method not supported.');
    default:
      if (AUTH_FLOWS.includes(flow))
        throw new IdpError('InvalidParameterException', `${flow} flow not enabled for this client`);
      throw new IdpError(
        'InvalidParameterException',
        `1 validation error detected: Value '${flow}' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set: [${AUTH_FLOWS.join(', ')}]`,
      );
  }
}

/** RespondToAuthChallenge PASSWORD_VERIFIER: checks the SRP proof, then issues tokens. */
export function respondToAuthChallenge(ctx: FlowContext, input: Json): Json {
  checkClient(ctx, input['ClientId']);
  const challenge = input['ChallengeName'];
  if (typeof challenge !== 'string') throw missingMember('challengeName');
  if (challenge !== 'PASSWORD_VERIFIER')
    throw new IdpError('InvalidParameterException', `Unsupported challenge ${challenge}`);
  const answers = record(input['ChallengeResponses']);
  const username = required(answers, 'USERNAME');
  const secretBlock = required(answers, 'PASSWORD_CLAIM_SECRET_BLOCK');
  const signature = required(answers, 'PASSWORD_CLAIM_SIGNATURE');
  const timestamp = required(answers, 'TIMESTAMP');
  const user = findUser(ctx, username);

  const state = ctx.sealer.open(secretBlock);
  if (!state || state.username !== user.username || state.clientId !== ctx.appClientId) throw badCredentials();
  if (ctx.now() - state.issuedAtMs > CHALLENGE_TTL_MS)
    throw new IdpError('NotAuthorizedException', IDP_MESSAGES.sessionExpired);

  const parsed = parseSrpTimestamp(timestamp);
  if (parsed === 'unparseable') throw new IdpError('InvalidParameterException', IDP_MESSAGES.badTimestamp);
  // A canonical but stale (or future) timestamp is refused like a wrong proof: it would allow replaying one.
  if (parsed === 'noncanonical' || Math.abs(parsed.ms - ctx.wallClock()) > ctx.srpTimestampSkewMs)
    throw badCredentials();

  const key = serverSessionKey(state.A, user.srp.verifier, state.u, state.b);
  if (!signatureMatches(key, { poolName: ctx.poolName, userId: user.username, secretBlock, timestamp }, signature))
    throw badCredentials();
  // Cognito reveals "not confirmed" only to someone who proved the password.
  if (!user.confirmed) throw new IdpError('UserNotConfirmedException', IDP_MESSAGES.notConfirmed);
  return { AuthenticationResult: ctx.tokens.login(user, ctx.appClientId), ChallengeParameters: {} };
}

/** GetTokensFromRefreshToken (Amplify v6's refresh): new ID and access tokens, no new refresh token (no rotation). */
export function getTokensFromRefreshToken(ctx: FlowContext, input: Json): Json {
  const token = input['RefreshToken'];
  if (typeof token !== 'string') throw missingMember('refreshToken');
  checkClient(ctx, input['ClientId']);
  return { AuthenticationResult: ctx.tokens.refresh(token, ctx.appClientId, (name) => ctx.users.get(name)) };
}

/** RevokeToken (Amplify's signOut): revokes one refresh token; answers `{}`. */
export function revokeToken(ctx: FlowContext, input: Json): Json {
  const token = input['Token'];
  if (typeof token !== 'string') throw missingMember('token');
  checkClient(ctx, input['ClientId']);
  ctx.tokens.revokeOne(token, ctx.appClientId);
  return {};
}

function startSrp(ctx: FlowContext, params: Json): Json {
  const username = required(params, 'USERNAME');
  const srpA = required(params, 'SRP_A');
  // Bound the input before any big-number work: an oversized SRP_A is a cheap way to burn server CPU.
  const A = srpA.length <= MAX_SRP_A_HEX ? parseHex(srpA) : undefined;
  if (A === undefined || A % N === 0n)
    throw new IdpError('InvalidParameterException', 'SRP_A must be a hex number that is not 0 mod N');
  const user = findUser(ctx, username);
  let { b, B } = createServerEphemeral(user.srp.verifier);
  let u = scramble(A, B);
  // SRP-6a aborts when u = 0; pick another b instead (probability 2^-256, but cheap to honour).
  while (u === 0n) {
    ({ b, B } = createServerEphemeral(user.srp.verifier));
    u = scramble(A, B);
  }
  const secretBlock = ctx.sealer.seal({
    username: user.username,
    clientId: ctx.appClientId,
    A,
    b,
    u,
    issuedAtMs: ctx.now(),
  });
  return {
    ChallengeName: 'PASSWORD_VERIFIER',
    ChallengeParameters: {
      SALT: user.srp.saltHex,
      SECRET_BLOCK: secretBlock,
      SRP_B: B.toString(16),
      USERNAME: user.username,
      USER_ID_FOR_SRP: user.username,
    },
  };
}

function passwordLogin(ctx: FlowContext, params: Json): Json {
  if (!ctx.allowUserPasswordAuth) throw new IdpError('InvalidParameterException', IDP_MESSAGES.passwordFlowDisabled);
  const username = required(params, 'USERNAME');
  const password = required(params, 'PASSWORD');
  const user = findUser(ctx, username);
  // Measured on AWS: USER_PASSWORD_AUTH refuses an unconfirmed user before checking the password
  // (https://github.com/ministackorg/ministack/pull/1758).
  if (!user.confirmed) throw new IdpError('UserNotConfirmedException', IDP_MESSAGES.notConfirmed);
  if (!passwordMatches(ctx.poolName, user.username, password, user.srp)) throw badCredentials();
  return { AuthenticationResult: ctx.tokens.login(user, ctx.appClientId), ChallengeParameters: {} };
}

function checkClient(ctx: FlowContext, clientId: unknown): void {
  if (typeof clientId !== 'string') throw missingMember('clientId');
  if (clientId !== ctx.appClientId) throw unknownClient(clientId);
}

function findUser(ctx: FlowContext, username: string): PoolUser {
  const user = ctx.users.get(username);
  if (!user) throw new IdpError('UserNotFoundException', IDP_MESSAGES.userNotFound);
  return user;
}

function badCredentials(): IdpError {
  return new IdpError('NotAuthorizedException', IDP_MESSAGES.badCredentials);
}

function required(params: Json, name: string): string {
  const value = params[name];
  if (typeof value !== 'string' || value === '') throw missingParameter(name);
  return value;
}

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}
