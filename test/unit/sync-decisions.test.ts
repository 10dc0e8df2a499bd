import { describe, expect, it } from 'vitest';
import { decideDeletions, deletionGate, finalStatus, type RunEnding } from '../../src/sync/decisions.js';
import { AuthError } from '../../src/errors.js';

const guard = { maxDeleteShare: 0.5, allowMassDelete: false };

describe('deletionGate', () => {
  it('opens only after a complete, clean listing of a run that was not stopped', () => {
    expect(deletionGate({ complete: true, clean: true }, false)).toBe('open');
    expect(deletionGate({ complete: false, clean: true }, false)).toBe('incomplete');
    expect(deletionGate({ complete: true, clean: false }, false)).toBe('unclean');
    expect(deletionGate({ complete: true, clean: true }, true)).toBe('stopped');
  });

  it('reports an unclean listing even when the run was stopped afterwards', () => {
    expect(deletionGate({ complete: true, clean: false }, true)).toBe('unclean');
    expect(deletionGate({ complete: false, clean: false }, true)).toBe('incomplete');
  });
});

describe('decideDeletions', () => {
  it('does nothing when nothing is missing', () => {
    expect(decideDeletions({ missing: 0, active: 0 }, guard)).toEqual({ kind: 'none' });
    expect(decideDeletions({ missing: 0, active: 100 }, guard)).toEqual({ kind: 'none' });
  });

  it('deletes up to the share the guard allows, the boundary included', () => {
    expect(decideDeletions({ missing: 1, active: 100 }, guard)).toEqual({ kind: 'delete', missing: 1 });
    expect(decideDeletions({ missing: 50, active: 100 }, guard)).toEqual({ kind: 'delete', missing: 50 });
  });

  it('refuses more than the share, with a message that names the numbers and the way out', () => {
    expect(decideDeletions({ missing: 51, active: 100 }, guard)).toEqual({
      kind: 'refuse',
      missing: 51,
      active: 100,
      error:
        'refused to soft-delete 51 of 100 issues (more than 50%): the listing may be wrong; if these deletions are real, run once with --allow-mass-delete',
    });
  });

  it('deletes any share when mass deletion is allowed', () => {
    expect(decideDeletions({ missing: 30, active: 30 }, { ...guard, allowMassDelete: true })).toEqual({
      kind: 'delete',
      missing: 30,
    });
  });
});

describe('finalStatus', () => {
  const calm: RunEnding = {
    fatal: undefined,
    interrupted: false,
    failed: 0,
    firstFailure: undefined,
    refusal: undefined,
  };

  it('succeeds with no error when nothing went wrong', () => {
    expect(finalStatus(calm)).toEqual({ status: 'succeeded', error: undefined });
  });

  it('fails with the fatal error, whatever else happened', () => {
    const fatal = new AuthError('AUTH_NOT_AUTHORIZED', 'Cognito refused the login: Incorrect username or password');
    expect(finalStatus({ ...calm, fatal, interrupted: true, failed: 3, refusal: 'refused' })).toEqual({
      status: 'failed',
      error: 'Cognito refused the login: Incorrect username or password',
    });
  });

  it('is interrupted when the caller stopped it', () => {
    expect(finalStatus({ ...calm, interrupted: true, failed: 2 })).toEqual({
      status: 'interrupted',
      error: 'stopped by signal before the run finished',
    });
  });

  it('is partial with the refusal when deletions were refused', () => {
    expect(finalStatus({ ...calm, refusal: 'refused to soft-delete 3 of 3 issues', failed: 1 })).toEqual({
      status: 'partial',
      error: 'refused to soft-delete 3 of 3 issues',
    });
  });

  it('is partial when issues failed, naming the first failure', () => {
    expect(finalStatus({ ...calm, failed: 1, firstFailure: 'issue 7: bad' })).toEqual({
      status: 'partial',
      error: '1 issue failed; they are retried next run (first: issue 7: bad)',
    });
    expect(finalStatus({ ...calm, failed: 2, firstFailure: 'issue 7: bad' })).toEqual({
      status: 'partial',
      error: '2 issues failed; they are retried next run (first: issue 7: bad)',
    });
  });
});
