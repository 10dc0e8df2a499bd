/** SPEAKUP_AUTH: which variables each token provider needs, what validation says, and what it never echoes. */
import { describe, expect, it } from 'vitest';
import { AUTH_KINDS, ENV_VARS } from '../../src/config/env-vars.js';
import { configProblems, loadTestConfig } from '../helpers/config.js';

const common = { SPEAKUP_API_URL: 'https://api.example.test', SPEAKUP_CLIENT_SYSTEM: 'showroom' };
const user = {
  SPEAKUP_USER_POOL_ID: 'eu-west-1_AbC123',
  SPEAKUP_APP_CLIENT_ID: 'client123',
  SPEAKUP_USERNAME: 'sync-bot',
  SPEAKUP_PASSWORD: 'S3cret-Passw0rd!',
};
const SECRET = 'cc-Secret-0f-The-Integration';
const integration = {
  SPEAKUP_AUTH: 'client-credentials',
  SPEAKUP_TOKEN_URL: 'https://auth.example.test/oauth2/token',
  SPEAKUP_APP_CLIENT_ID: 'integ-1',
  SPEAKUP_CLIENT_SECRET: SECRET,
};

const load = loadTestConfig;
const problems = configProblems;

describe('SPEAKUP_AUTH', () => {
  it('defaults to password and says so when its variables are missing', () => {
    expect(load({ ...common, ...user }).auth.kind).toBe('password');
    expect(problems(common)).toEqual([
      'SPEAKUP_USER_POOL_ID: required when SPEAKUP_AUTH=password (the default), expected a Cognito user pool id such as eu-west-1_AbCdEf123',
      'SPEAKUP_APP_CLIENT_ID: required when SPEAKUP_AUTH=password (the default), expected the Cognito app client id, or the App Integration client id',
      'SPEAKUP_USERNAME: required when SPEAKUP_AUTH=password (the default), expected the service account user name',
      'SPEAKUP_PASSWORD: required when SPEAKUP_AUTH=password (the default), expected the service account password',
    ]);
  });

  it('client-credentials needs the token URL, client id and secret, and no user pool, username or password', () => {
    const c = load({ ...common, ...integration });
    expect(c.auth).toEqual({
      kind: 'client-credentials',
      tokenUrl: 'https://auth.example.test/oauth2/token',
      clientId: 'integ-1',
      clientSecret: SECRET,
      scopes: [],
    });
    expect(problems({ ...common, SPEAKUP_AUTH: 'client-credentials' })).toEqual([
      'SPEAKUP_APP_CLIENT_ID: required when SPEAKUP_AUTH=client-credentials, expected the Cognito app client id, or the App Integration client id',
      'SPEAKUP_TOKEN_URL: required when SPEAKUP_AUTH=client-credentials, expected the https:// token URL of the App Integration (usually ending in /oauth2/token)',
      'SPEAKUP_CLIENT_SECRET: required when SPEAKUP_AUTH=client-credentials, expected the App Integration client secret',
    ]);
  });

  it('parses SPEAKUP_SCOPES as space-separated RFC 6749 scope tokens', () => {
    const c = load({ ...common, ...integration, SPEAKUP_SCOPES: '  speakup/issues.read   speakup/issues.write ' });
    expect(c.auth.kind === 'client-credentials' && c.auth.scopes).toEqual([
      'speakup/issues.read',
      'speakup/issues.write',
    ]);
    expect(problems({ ...common, ...integration, SPEAKUP_SCOPES: 'a "b"' })).toEqual([
      'SPEAKUP_SCOPES: expected space-separated OAuth scopes such as "speakup/issues.read" (got "a \\"b\\"")',
    ]);
  });

  it('applies the insecure-http and no-credentials-in-URL rules to SPEAKUP_TOKEN_URL', () => {
    expect(problems({ ...common, ...integration, SPEAKUP_TOKEN_URL: 'http://auth.example.test/oauth2/token' })).toEqual(
      [
        'SPEAKUP_TOKEN_URL: http:// is refused for non-loopback hosts; use https:// (or set SPEAKUP_ALLOW_INSECURE_HTTP=1, never in production)',
      ],
    );
    expect(load({ ...common, ...integration, SPEAKUP_TOKEN_URL: 'http://127.0.0.1:9/oauth2/token' }).warnings).toEqual(
      [],
    );
    const allowed = load({
      ...common,
      ...integration,
      SPEAKUP_TOKEN_URL: 'http://auth.example.test/t',
      SPEAKUP_ALLOW_INSECURE_HTTP: '1',
    });
    expect(allowed.warnings).toEqual([expect.stringMatching(/^SPEAKUP_TOKEN_URL uses plaintext http:\/\//)]);
    expect(
      problems({ ...common, ...integration, SPEAKUP_TOKEN_URL: `https://integ-1:${SECRET}@auth.example.test/t` }),
    ).toEqual(['SPEAKUP_TOKEN_URL: must not carry credentials in the URL']);
  });

  it('never echoes the client secret or the password, whatever else is wrong', () => {
    for (const env of [
      { ...integration, SPEAKUP_PAGE_SIZE: 'x' },
      { ...integration, SPEAKUP_TOKEN_URL: 'not a url' },
      { ...user, SPEAKUP_AUTH: 'amplify', SPEAKUP_USER_POOL_ID: 'nope', SPEAKUP_CLIENT_SECRET: SECRET },
    ]) {
      const message = (() => {
        try {
          load({ ...common, ...env });
        } catch (err) {
          return (err as Error).message;
        }
        throw new Error('expected a ConfigError');
      })();
      expect(message).not.toContain(SECRET);
      expect(message).not.toContain(user.SPEAKUP_PASSWORD);
    }
  });

  it('amplify needs what password needs and keeps the endpoint and flow', () => {
    const c = load({
      ...common,
      ...user,
      SPEAKUP_AUTH: 'amplify',
      SPEAKUP_COGNITO_ENDPOINT: 'http://127.0.0.1:9229/',
      SPEAKUP_AUTH_FLOW: 'USER_PASSWORD_AUTH',
    });
    expect(c.auth).toEqual({
      kind: 'amplify',
      userPoolId: 'eu-west-1_AbC123',
      appClientId: 'client123',
      username: 'sync-bot',
      password: user.SPEAKUP_PASSWORD,
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9229/',
      flow: 'USER_PASSWORD_AUTH',
    });
    expect(problems({ ...common, SPEAKUP_AUTH: 'amplify', SPEAKUP_APP_CLIENT_ID: 'x' })).toEqual([
      'SPEAKUP_USER_POOL_ID: required when SPEAKUP_AUTH=amplify, expected a Cognito user pool id such as eu-west-1_AbCdEf123',
      'SPEAKUP_USERNAME: required when SPEAKUP_AUTH=amplify, expected the service account user name',
      'SPEAKUP_PASSWORD: required when SPEAKUP_AUTH=amplify, expected the service account password',
    ]);
  });

  it('an unknown provider is one problem, not a cascade of "required"', () => {
    expect(problems({ ...common, SPEAKUP_AUTH: 'saml' })).toEqual([
      'SPEAKUP_AUTH: expected password, client-credentials or amplify (got "saml")',
    ]);
  });

  it('switching provider is configuration only: variables of the other providers are ignored', () => {
    const everything = { ...common, ...user, ...integration };
    expect(load({ ...everything, SPEAKUP_AUTH: 'password' }).auth.kind).toBe('password');
    expect(load({ ...everything, SPEAKUP_AUTH: 'amplify' }).auth.kind).toBe('amplify');
    expect(load(everything).auth).not.toHaveProperty('username');
  });

  it('every requiredFor names a real provider, and every provider requires something', () => {
    const specs = Object.values(ENV_VARS) as { requiredFor?: readonly string[] }[];
    for (const spec of specs) for (const kind of spec.requiredFor ?? []) expect(AUTH_KINDS).toContain(kind);
    for (const kind of AUTH_KINDS) expect(specs.some((s) => s.requiredFor?.includes(kind))).toBe(true);
  });
});
