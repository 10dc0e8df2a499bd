/**
 * External tools a test needs. A missing tool fails the test with a line saying how to install it: a
 * test must never pass by quietly leaving out the half that needed the tool.
 */
import { spawnSync } from 'node:child_process';

const INSTALL: Record<string, string> = {
  sqlite3:
    'install the SQLite command-line shell: apt-get install sqlite3 (Debian/Ubuntu), dnf install sqlite (Fedora), brew install sqlite (macOS)',
};

/** The tool's version line; throws naming the install command when `tool` cannot be run. */
export function requireTool(tool: string, versionArgs: string[] = ['-version']): string {
  const r = spawnSync(tool, versionArgs, { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error ? r.error.message : `exit ${r.status}: ${r.stderr.trim()}`;
    throw new Error(
      `${tool} is required by this test and cannot be run (${why}); ${INSTALL[tool] ?? `install ${tool}`}`,
    );
  }
  return r.stdout.trim();
}
