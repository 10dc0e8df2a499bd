/**
 * Crash safety, part 2 of 2 (two files so the kills run on both vitest workers): the CLI sync is SIGKILLed
 * at points chosen from seeds: while opening and migrating a fresh database, during login, during listing,
 * while fetching details, and inside a write transaction, over rounds on one database whose data changes
 * between kills. After every kill, before anything else writes the file: integrity_check ok, no
 * half-written issue (each stored issue is a version the API served, with exactly its field-value, FTS and
 * sighting rows); then the next run completes the mirror exactly, marks the dead run interrupted and takes
 * its lock over. See crashScenario in test/helpers/reliability.ts.
 */
import { describe, it } from 'vitest';
import { crashScenario, describeOutcomes, expectCrashOutcomes } from '../helpers/reliability.js';

describe('SIGKILL at random points (2/2)', () => {
  it.each([303, 404])(
    'seed %i: 5+ kills, each leaving a sound database that the next run completes',
    { timeout: 150_000 },
    async (seed) => {
      const outcomes = await crashScenario(seed, 5);
      console.log(describeOutcomes(outcomes));
      expectCrashOutcomes(outcomes);
    },
  );
});
