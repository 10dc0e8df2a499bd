/**
 * Maps amazon-cognito-identity-js failures (an Error whose `code`/`name` is the Cognito exception name, or
 * `code: 'NetworkError'`) to AuthError with a stable code and a message that tells the operator what to do.
 * Upstream messages are not echoed blindly: they could in theory quote request data.
 */
import { AuthError, type ErrorCode } from '../errors.js';

interface CognitoLikeError {
  code?: unknown;
  name?: unknown;
  message?: unknown;
}

/** Upstream exception name of a library error, or 'Unknown'. */
export function cognitoCode(err: unknown): string {
  const e = (err ?? {}) as CognitoLikeError;
  if (typeof e.code === 'string' && e.code) return e.code;
  if (typeof e.name === 'string' && e.name && e.name !== 'Error') return e.name;
  return 'Unknown';
}

interface LoginContext {
  username: string;
  userPoolId: string;
  endpointHost: string;
}

/** What each Cognito exception means for the operator: our code, whether it may pass, and the fix. */
const COGNITO_ERRORS: Record<
  string,
  { code: ErrorCode; retryable?: true; message: (ctx: LoginContext, name: string) => string }
> = {
  NotAuthorizedException: {
    code: 'AUTH_NOT_AUTHORIZED',
    message: (c) =>
      `login refused for "${c.username}" (NotAuthorizedException): wrong username or password, or the account is disabled; check SPEAKUP_USERNAME and SPEAKUP_PASSWORD`,
  },
  UserNotFoundException: {
    code: 'AUTH_USER_NOT_FOUND',
    message: (c) =>
      `user "${c.username}" does not exist in user pool ${c.userPoolId} (UserNotFoundException); check SPEAKUP_USERNAME and SPEAKUP_USER_POOL_ID`,
  },
  UserNotConfirmedException: {
    code: 'AUTH_USER_NOT_CONFIRMED',
    message: (c) =>
      `user "${c.username}" is not confirmed (UserNotConfirmedException); confirm the service account (email/phone verification) or ask your SpeakUp administrator`,
  },
  PasswordResetRequiredException: {
    code: 'AUTH_NOT_AUTHORIZED',
    message: (c) =>
      `user "${c.username}" must reset its password (PasswordResetRequiredException); reset it in SpeakUp, then update SPEAKUP_PASSWORD`,
  },
  TooManyRequestsException: { code: 'AUTH_THROTTLED', retryable: true, message: throttled },
  LimitExceededException: { code: 'AUTH_THROTTLED', retryable: true, message: throttled },
  IdpRedirect: {
    code: 'AUTH_FAILED',
    message: (c) =>
      `the identity provider at ${c.endpointHost} answered with a redirect: credentials are never sent on to another address; set SPEAKUP_COGNITO_ENDPOINT (or SPEAKUP_REGION) to the identity provider itself`,
  },
  NetworkError: {
    code: 'AUTH_NETWORK',
    retryable: true,
    message: (c) =>
      `cannot reach the identity provider at ${c.endpointHost} (network error); check connectivity and SPEAKUP_COGNITO_ENDPOINT / SPEAKUP_REGION`,
  },
  ResourceNotFoundException: {
    code: 'AUTH_FAILED',
    message: () =>
      `the identity provider does not know app client or user pool (ResourceNotFoundException); check SPEAKUP_APP_CLIENT_ID and SPEAKUP_USER_POOL_ID`,
  },
  InvalidParameterException: {
    code: 'AUTH_FAILED',
    message: () =>
      `the identity provider rejected the login request (InvalidParameterException); if the app client does not allow USER_PASSWORD_AUTH, set SPEAKUP_AUTH_FLOW=USER_SRP_AUTH`,
  },
  InternalErrorException: { code: 'AUTH_NETWORK', retryable: true, message: serverFault },
  ServiceUnavailable: { code: 'AUTH_NETWORK', retryable: true, message: serverFault },
};

function throttled(_: LoginContext, name: string): string {
  return `the identity provider is throttling logins (${name}); retried with backoff, then gave up: wait a few minutes and run again`;
}

function serverFault(_: LoginContext, name: string): string {
  return `the identity provider failed (${name}); retried with backoff, then gave up: try again later`;
}

/** Translate a library error raised while logging in as `username`. */
export function toAuthError(err: unknown, ctx: LoginContext): AuthError {
  if (err instanceof AuthError) return err;
  const upstream = cognitoCode(err);
  const known = Object.hasOwn(COGNITO_ERRORS, upstream) ? COGNITO_ERRORS[upstream] : undefined;
  if (!known) {
    return new AuthError('AUTH_FAILED', `login failed (${upstream}); check the SPEAKUP_* authentication settings`, {
      upstream,
      cause: err,
    });
  }
  return new AuthError(known.code, known.message(ctx, upstream), {
    upstream,
    cause: err,
    ...(known.retryable ? { retryable: true } : {}),
  });
}
