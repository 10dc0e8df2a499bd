/**
 * Maps amazon-cognito-identity-js failures (an Error whose `code`/`name` is the Cognito exception name, or
 * `code: 'NetworkError'`) to AuthError with a stable code and a message that tells the operator what to do.
 * Upstream messages are not echoed blindly: they could in theory quote request data.
 */
import { AuthError } from '../errors.js';

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

/** Translate a library error raised while logging in as `username`. */
export function toAuthError(
  err: unknown,
  ctx: { username: string; userPoolId: string; endpointHost: string },
): AuthError {
  if (err instanceof AuthError) return err;
  const code = cognitoCode(err);
  const upstream = code;
  switch (code) {
    case 'NotAuthorizedException':
      return new AuthError(
        'AUTH_NOT_AUTHORIZED',
        `login refused for "${ctx.username}" (NotAuthorizedException): wrong username or password, or the account is disabled; check SPEAKUP_USERNAME and SPEAKUP_PASSWORD`,
        { upstream, cause: err },
      );
    case 'UserNotFoundException':
      return new AuthError(
        'AUTH_USER_NOT_FOUND',
        `user "${ctx.username}" does not exist in user pool ${ctx.userPoolId} (UserNotFoundException); check SPEAKUP_USERNAME and SPEAKUP_USER_POOL_ID`,
        { upstream, cause: err },
      );
    case 'UserNotConfirmedException':
      return new AuthError(
        'AUTH_USER_NOT_CONFIRMED',
        `user "${ctx.username}" is not confirmed (UserNotConfirmedException); confirm the service account (email/phone verification) or ask your SpeakUp administrator`,
        { upstream, cause: err },
      );
    case 'PasswordResetRequiredException':
      return new AuthError(
        'AUTH_NOT_AUTHORIZED',
        `user "${ctx.username}" must reset its password (PasswordResetRequiredException); reset it in SpeakUp, then update SPEAKUP_PASSWORD`,
        { upstream, cause: err },
      );
    case 'TooManyRequestsException':
    case 'LimitExceededException':
      return new AuthError(
        'AUTH_THROTTLED',
        `the identity provider is throttling logins (${code}); retried with backoff, then gave up: wait a few minutes and run again`,
        { upstream, retryable: true, cause: err },
      );
    case 'NetworkError':
      return new AuthError(
        'AUTH_NETWORK',
        `cannot reach the identity provider at ${ctx.endpointHost} (network error); check connectivity and SPEAKUP_COGNITO_ENDPOINT / SPEAKUP_REGION`,
        { upstream, retryable: true, cause: err },
      );
    case 'ResourceNotFoundException':
      return new AuthError(
        'AUTH_FAILED',
        `the identity provider does not know app client or user pool (ResourceNotFoundException); check SPEAKUP_APP_CLIENT_ID and SPEAKUP_USER_POOL_ID`,
        { upstream, cause: err },
      );
    case 'InvalidParameterException':
      return new AuthError(
        'AUTH_FAILED',
        `the identity provider rejected the login request (InvalidParameterException); if the app client does not allow USER_PASSWORD_AUTH, set SPEAKUP_AUTH_FLOW=USER_SRP_AUTH`,
        { upstream, cause: err },
      );
    case 'InternalErrorException':
    case 'ServiceUnavailable':
      return new AuthError(
        'AUTH_NETWORK',
        `the identity provider failed (${code}); retried with backoff, then gave up: try again later`,
        { upstream, retryable: true, cause: err },
      );
    default:
      return new AuthError('AUTH_FAILED', `login failed (${code}); check the SPEAKUP_* authentication settings`, {
        upstream,
        cause: err,
      });
  }
}
