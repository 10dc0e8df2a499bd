/** Loading configuration in unit tests: no .env, a fixed cwd, and the problems of a ConfigError as a list. */
import { expect } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { ConfigError } from '../../src/errors.js';

export const loadTestConfig = (env: Record<string, string>): Config => loadConfig(env, { dotenv: false, cwd: '/tmp' });

/** The problems a ConfigError lists for `env`; fails the test when the configuration is accepted. */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadTestConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}
