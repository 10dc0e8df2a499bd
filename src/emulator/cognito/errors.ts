/**
 * Cognito's error answers in the AWS JSON 1.1 protocol shape, with the messages the real service sends
 * (as reported in public issue threads; see the messages below). amazon-cognito-identity-js turns the body's
 * `__type` (after any "#") into `err.code` and `err.name`, and `message` into `err.message` (lib/Client.js).
 */
import { randomUUID } from 'node:crypto';
import type { EmuResponse } from '../types.js';

/** The exception names the emulator answers with. */
export type IdpErrorType =
  | 'NotAuthorizedException'
  | 'UserNotFoundException'
  | 'UserNotConfirmedException'
  | 'TooManyRequestsException'
  | 'ResourceNotFoundException'
  | 'InvalidParameterException'
  | 'UnknownOperationException'
  | 'SerializationException';

/** Messages of the real service, kept in one place so tests and the sync client can assert them. */
export const IDP_MESSAGES = {
  badCredentials: 'Incorrect username or password.',
  userNotFound: 'User does not exist.',
  notConfirmed: 'User is not confirmed.',
  refreshExpired: 'Refresh Token has expired',
  refreshInvalid: 'Invalid Refresh Token',
  throttled: 'Rate exceeded',
  sessionExpired: 'Invalid session for the user, session is expired.',
  passwordFlowDisabled: 'USER_PASSWORD_AUTH flow not enabled for this client',
  // https://github.com/amazon-archives/amazon-cognito-identity-js/issues/683
  badTimestamp: 'TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english.',
} as const;

/** An operation's refusal; the dispatcher turns it into a 400 answer. */
export class IdpError extends Error {
  readonly type: IdpErrorType;
  constructor(type: IdpErrorType, message: string) {
    super(message);
    this.name = 'IdpError';
    this.type = type;
  }
}

/** `User pool client <id> does not exist.`, Cognito's answer to an unknown ClientId. */
export function unknownClient(clientId: string): IdpError {
  return new IdpError('ResourceNotFoundException', `User pool client ${clientId} does not exist.`);
}

/** `Missing required parameter X`, Cognito's answer to an absent AuthParameters/ChallengeResponses entry. */
export function missingParameter(name: string): IdpError {
  return new IdpError('InvalidParameterException', `Missing required parameter ${name}`);
}

/** The AWS JSON validation message for a missing top-level member, e.g. `clientId`. */
export function missingMember(member: string): IdpError {
  return new IdpError(
    'InvalidParameterException',
    `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
  );
}

/**
 * The error answer: HTTP 400 (Cognito uses 400 for every client-side exception, throttling included),
 * body `{"__type", "message"}`, and `x-amzn-ErrorType`, which the library falls back on when the body is unreadable.
 */
export function idpErrorResponse(type: IdpErrorType, message: string): EmuResponse {
  return {
    status: 400,
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-errortype': `${type}:`,
      'x-amzn-requestid': randomUUID(),
    },
    body: JSON.stringify({ __type: type, message }),
  };
}

/** A successful AWS JSON answer. */
export function idpJsonResponse(body: unknown): EmuResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify(body),
  };
}
