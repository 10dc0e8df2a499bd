/**
 * Crash safety, part 1 of 2 (two files so the kills run on both vitest workers): the CLI sync is SIGKILLed
 * at points chosen from seeds: while opening and migrating a fresh database, during login, during listing,
 * while fetching details, and inside a write transaction, over rounds on one database whose data changes
 * between kills. After every kill, before anything else writes the file: integrity_check ok, no
 * half-written issue (each stored issue is a version the API served, with exactly its field-value, FTS and
 * sighting rows); then the next run completes the mirror exactly, marks the dead run interrupted and takes
 * its lock over. See crashScenario in test/helpers/reliability.ts.
 */
import { describe, expect, it } from 'vitest';
import { crashScenario, describeOutcomes } from '../helpers/reliability.js';

describe('SIGKILL at random points (1/2)', () => {
  it.each([101, 202])(
    'seed %i: 5+ kills, each leaving a sound database that the next run completes',
    { timeout: 150_000 },
    async (seed) => {
      const outcomes = await crashScenario(seed, 5);
      console.log(describeOutcomes(outcomes));
      expect(outcomes.length).toBeGreaterThanOrEqual(5);
      // At least one kill landed inside a write transaction (frames written, commit never reached).
      expect(outcomes.some((o) => o.phase === 'write' && o.uncommittedFrames > 0)).toBe(true);
      // Every kill after start-up died inside its run, leaving it "running" for the next run to mark interrupted.
      const inRun = outcomes.filter((o) => o.phase !== 'startup');
      expect(inRun.length).toBeGreaterThanOrEqual(4);
      expect(inRun.map((o) => o.runningLeft)).toEqual(inRun.map(() => 1));
      expect(new Set(outcomes.map((o) => o.phase))).toEqual(
        new Set(['startup', 'login', 'listing', 'fetching', 'write']),
      );
    },
  );
});
