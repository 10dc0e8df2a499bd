import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Timeouts only catch hangs: a machine shared with other suites or a benchmark can make a healthy
    // integration test (real servers, child processes) take several times its usual duration.
    testTimeout: 90_000,
    hookTimeout: 90_000,
    // Integration tests start real servers and child processes: two workers fit a 2-core machine.
    maxWorkers: 2,
    // A throwaway PostgreSQL server for the PostgreSQL tests, or the one in SPEAKUP_TEST_DATABASE_URL.
    globalSetup: ['test/setup/postgres.ts'],
  },
});
