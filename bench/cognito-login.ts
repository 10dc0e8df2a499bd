/** The manual's login (amazon-cognito-identity-js, USER_SRP_AUTH), for the benchmark's own small clients. */
import { AuthenticationDetails, CognitoUser, CognitoUserPool } from 'amazon-cognito-identity-js';

/** Logs in with the SPEAKUP_* values in `env` and returns the ID token. */
export function login(env: NodeJS.ProcessEnv): Promise<string> {
  const pool = new CognitoUserPool({
    UserPoolId: env.SPEAKUP_USER_POOL_ID ?? '',
    ClientId: env.SPEAKUP_APP_CLIENT_ID ?? '',
    ...(env.SPEAKUP_COGNITO_ENDPOINT ? { endpoint: env.SPEAKUP_COGNITO_ENDPOINT } : {}),
  });
  const user = new CognitoUser({ Username: env.SPEAKUP_USERNAME ?? '', Pool: pool });
  const details = new AuthenticationDetails({
    Username: env.SPEAKUP_USERNAME ?? '',
    Password: env.SPEAKUP_PASSWORD ?? '',
  });
  return new Promise((resolve, reject) =>
    user.authenticateUser(details, { onSuccess: (s) => resolve(s.getIdToken().getJwtToken()), onFailure: reject }),
  );
}
