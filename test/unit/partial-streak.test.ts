/** The one rule for the streak of `partial` runs that stored nothing (status on SQLite and PostgreSQL, the daemon). */
import { describe, expect, it } from 'vitest';
import { emptyPartialStreak } from '../../src/empty-partial-streak.js';

const run = (status: string, fetched = 0) => ({ status, fetched });

describe('emptyPartialStreak', () => {
  it('counts the newest runs, in a row, that ended partial and stored nothing', () => {
    expect(emptyPartialStreak([])).toBe(0);
    expect(emptyPartialStreak([run('partial'), run('partial'), run('succeeded', 5), run('partial')])).toBe(2);
    expect(emptyPartialStreak([run('partial'), run('partial'), run('partial')])).toBe(3);
  });

  it('is broken by a run that stored issues, whatever its status, and by any other outcome', () => {
    expect(emptyPartialStreak([run('partial', 1), run('partial'), run('partial')])).toBe(0);
    expect(emptyPartialStreak([run('partial'), run('failed'), run('partial')])).toBe(1);
    expect(emptyPartialStreak([run('interrupted'), run('partial')])).toBe(0);
  });
});
