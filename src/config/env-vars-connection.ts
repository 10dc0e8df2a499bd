/**
 * The variables that say where the API is and how to log in to it: one part of ENV_VARS (env-vars.ts), kept
 * apart so each file reads at once.
 */
import * as z from 'zod';
import { nonEmpty, scopes, secretValue, url } from './env-types.js';
import type { EnvVar } from './env-vars.js';
import type { AuthKind } from './types.js';

/** The SPEAKUP_AUTH values, in the order the docs list them. */
export const AUTH_KINDS = ['password', 'client-credentials', 'amplify'] as const satisfies readonly AuthKind[];

const COGNITO_USER: readonly AuthKind[] = ['password', 'amplify'];

export const CONNECTION_VARS = {
  SPEAKUP_API_URL: {
    schema: url,
    expect: 'an https:// URL such as https://api.example.speakup.cloud',
    describe: 'API base URL; the client appends /v1/public/issues (a path prefix and trailing slash are kept)',
  },
  SPEAKUP_CLIENT_SYSTEM: {
    schema: nonEmpty,
    expect: 'the client system name, e.g. "showroom" for https://showroom.client.speakup.cloud',
    describe: 'value of the client header: the subdomain of your SpeakUp login URL',
  },
  SPEAKUP_CLIENT_HEADER: {
    schema: z.string().regex(/^[A-Za-z0-9-]+$/),
    expect: 'an HTTP header name',
    describe: 'name of the client header',
    default: 'client',
  },
  SPEAKUP_AUTH: {
    schema: z.enum(AUTH_KINDS),
    expect: 'password, client-credentials or amplify',
    describe:
      'token provider: password (service account via amazon-cognito-identity-js), client-credentials (a SpeakUp App Integration: OAuth 2.0 client id + secret), amplify (service account via aws-amplify v6 Auth)',
    default: 'password',
  },
  SPEAKUP_USER_POOL_ID: {
    schema: z.string().regex(/^[\w-]+_[0-9a-zA-Z]+$/),
    expect: 'a Cognito user pool id such as eu-west-1_AbCdEf123',
    describe: 'Cognito user pool id (password, amplify)',
    requiredFor: COGNITO_USER,
  },
  SPEAKUP_APP_CLIENT_ID: {
    schema: nonEmpty,
    expect: 'the Cognito app client id, or the App Integration client id',
    describe: 'Cognito app client id (password, amplify), or the App Integration client id (client-credentials)',
    requiredFor: AUTH_KINDS,
  },
  SPEAKUP_USERNAME: {
    schema: nonEmpty,
    expect: 'the service account user name',
    describe: 'service account user name (password, amplify)',
    requiredFor: COGNITO_USER,
  },
  SPEAKUP_PASSWORD: {
    schema: secretValue,
    expect: 'the service account password',
    describe: 'service account password (password, amplify)',
    secret: true,
    requiredFor: COGNITO_USER,
  },
  SPEAKUP_REGION: {
    schema: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/),
    expect: 'an AWS region such as eu-west-1',
    describe: 'AWS region of the user pool (password, amplify)',
    defaultDoc: 'prefix of SPEAKUP_USER_POOL_ID',
  },
  SPEAKUP_COGNITO_ENDPOINT: {
    schema: url,
    expect: 'an https:// URL',
    describe: 'Cognito IdP endpoint override (emulator, private endpoints; password, amplify)',
    defaultDoc: "AWS's regional endpoint",
  },
  SPEAKUP_AUTH_FLOW: {
    schema: z.enum(['USER_SRP_AUTH', 'USER_PASSWORD_AUTH']),
    expect: 'USER_SRP_AUTH or USER_PASSWORD_AUTH',
    describe: 'Cognito login flow (SRP never sends the password; password, amplify)',
    default: 'USER_SRP_AUTH',
  },
  SPEAKUP_TOKEN_URL: {
    schema: url,
    expect: 'the https:// token URL of the App Integration (usually ending in /oauth2/token)',
    describe: 'OAuth 2.0 token endpoint of the App Integration (client-credentials)',
    requiredFor: ['client-credentials'],
  },
  SPEAKUP_CLIENT_SECRET: {
    schema: secretValue,
    expect: 'the App Integration client secret',
    describe: 'client secret of the App Integration (client-credentials)',
    secret: true,
    requiredFor: ['client-credentials'],
  },
  SPEAKUP_SCOPES: {
    schema: scopes,
    expect: 'space-separated OAuth scopes such as "speakup/issues.read"',
    describe: 'scopes to ask for (client-credentials)',
    defaultDoc: "the App Integration's own",
  },
} satisfies Record<string, EnvVar>;
