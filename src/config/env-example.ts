/** Renders `.env.example` and the README configuration table from ENV_VARS, so docs follow the code. */
import { ENV_VARS, type EnvVar } from './env-vars.js';

const REQUIRED = new Set(['SPEAKUP_API_URL', 'SPEAKUP_CLIENT_SYSTEM', 'SPEAKUP_USER_POOL_ID', 'SPEAKUP_APP_CLIENT_ID', 'SPEAKUP_USERNAME', 'SPEAKUP_PASSWORD']);

const entries = () => Object.entries(ENV_VARS) as [string, EnvVar][];

/** The text of `.env.example`. */
export function renderEnvExample(): string {
  const lines = [
    '# speakup-sync configuration. Copy to .env (git-ignored) and fill in; real environment variables win.',
    '# `npm run emulator` prints a working set for the bundled emulator.',
    '',
  ];
  for (const [name, spec] of entries()) {
    lines.push(`# ${spec.describe}.${REQUIRED.has(name) ? ' Required.' : ''} Expected: ${spec.expect}.`);
    if (spec.default !== undefined) lines.push(`#${name}=${spec.default}`);
    else if (spec.defaultDoc !== undefined) lines.push(`# default: ${spec.defaultDoc}`, `#${name}=`);
    else lines.push(`${name}=`);
    lines.push('');
  }
  return lines.join('\n');
}

/** The README's configuration table (Markdown). */
export function renderConfigTable(): string {
  const rows = entries().map(([name, spec]) => {
    const def = REQUIRED.has(name) ? '**required**' : spec.default !== undefined ? `\`${spec.default}\`` : (spec.defaultDoc ?? '');
    return `| \`${name}\` | ${spec.describe.replace(/\|/g, '\\|')} | ${def} |`;
  });
  return ['| variable | meaning | default |', '|---|---|---|', ...rows].join('\n');
}
