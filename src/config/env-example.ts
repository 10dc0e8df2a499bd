/** Renders `.env.example` and the README configuration table from ENV_VARS, so docs follow the code. */
import { ALWAYS_REQUIRED, AUTH_KINDS, ENV_VARS, type EnvVar } from './env-vars.js';

/** "Required." / "Required for SPEAKUP_AUTH=a, b." / "" from the table's requiredFor. */
function requirement(name: string, spec: EnvVar): string {
  if (ALWAYS_REQUIRED.has(name)) return 'required';
  const kinds = spec.requiredFor ?? [];
  if (kinds.length === 0) return '';
  if (kinds.length === AUTH_KINDS.length) return 'required';
  return `required for SPEAKUP_AUTH=${kinds.join(', ')}`;
}

const entries = () => Object.entries(ENV_VARS) as [string, EnvVar][];

/** The text of `.env.example`. */
export function renderEnvExample(): string {
  const lines = [
    '# speakup-sync configuration. Copy to .env (git-ignored) and fill in; real environment variables win.',
    '# `npm run emulator` prints a working set for the bundled emulator.',
    '',
  ];
  for (const [name, spec] of entries()) {
    const req = requirement(name, spec);
    lines.push(
      `# ${spec.describe}.${req ? ` ${req[0]!.toUpperCase()}${req.slice(1)}.` : ''} Expected: ${spec.expect}.`,
    );
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
    const req = requirement(name, spec);
    const def = req ? `**${req}**` : spec.default !== undefined ? `\`${spec.default}\`` : (spec.defaultDoc ?? '');
    return `| \`${name}\` | ${spec.describe.replace(/\|/g, '\\|')} | ${def} |`;
  });
  return ['| variable | meaning | default |', '|---|---|---|', ...rows].join('\n');
}
