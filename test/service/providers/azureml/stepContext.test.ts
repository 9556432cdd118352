/**
 * retryLater reads Azure's hint from the error's typed `retryAfterMs`: a step that failed on a 429
 * looks again when Azure said, not on its own schedule.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../src/errors';
import { createLogger } from '../../../../src/logger';
import type { OperationRecord } from '../../../../src/service/model';
import { azureError } from '../../../../src/service/providers/azureml/errors';
import { type AzureStepContext, retryLater } from '../../../../src/service/providers/azureml/stepContext';

const NOW = Date.parse('2026-05-04T10:00:00Z');

// retryLater reads only the clock, the limits and the log; the Azure client and storage stay out of it.
const ctx = {
  now: () => NOW,
  operationTimeoutMs: 30 * 60_000,
  pollMs: 1000,
  log: createLogger('silent'),
} as AzureStepContext;

const op = {
  id: 'op-1',
  phase: 'poll',
  createdOn: new Date(NOW - 60_000).toISOString(),
  state: { tries: 0 },
} as unknown as OperationRecord;

const throttled = (retryAfterMs?: number) =>
  azureError(429, undefined, { workspace: 'ws', what: 'runtime r1', method: 'GET' }, { retryAfterMs });

describe('retryLater', () => {
  it("should wait as long as Azure's Retry-After says", () => {
    const outcome = retryLater(ctx, op, throttled(120_000));
    expect(outcome.next).toMatchObject({ phase: 'poll', waitMs: 120_000, state: { tries: 1 } });
    expect(outcome.result).toBeUndefined();
  });

  it('should wait on its own schedule, shorter here, without a hint', () => {
    const waitMs = retryLater(ctx, op, throttled()).next?.waitMs;
    expect(waitMs).toBeGreaterThanOrEqual(1000);
    expect(waitMs).toBeLessThan(120_000);
  });

  it('should fail the operation instead once its deadline has passed', () => {
    const late = { ...op, createdOn: new Date(NOW - 31 * 60_000).toISOString() } as OperationRecord;
    const outcome = retryLater(ctx, late, throttled(120_000));
    expect(outcome.next).toBeUndefined();
    expect(outcome.result).toMatchObject({ ok: false, error: { code: ErrorCode.Unavailable } });
  });
});
