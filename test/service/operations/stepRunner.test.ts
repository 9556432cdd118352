/**
 * StepRunner: what a step comes to when the lock is missing or the provider fails, and the events
 * the steps just run announce, read back from a real event log over memory storage.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock, iso } from '../../../src/clock';
import { AppError, ErrorCode } from '../../../src/errors';
import { createLogger } from '../../../src/logger';
import { EventLog } from '../../../src/service/events/eventLog';
import type { StepOutcome } from '../../../src/service/model';
import type { RuntimeLocks } from '../../../src/service/operations/locks';
import type { RuntimeProvider } from '../../../src/service/providers/provider';
import { StepRunner } from '../../../src/service/operations/stepRunner';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { NOW, operationRecord } from './support';

const operation = operationRecord;

/** A runner whose provider's step does `step`, and whose lock is held or not. */
function runner(step: RuntimeProvider['step'], held = true) {
  const storage = new MemoryStorage();
  const clock = new FakeClock(NOW);
  const errors: string[] = [];
  const log = createLogger('error', {}, (line) => errors.push(line));
  const events = new EventLog(storage, clock, { log });
  // The lock's own behaviour is locks.test.ts's; here only its answer matters.
  const locks = { heldBy: async () => held } as unknown as RuntimeLocks;
  const provider = { step } as unknown as RuntimeProvider;
  return { steps: new StepRunner(provider, locks, events, clock, log, 2), events, errors };
}

describe('StepRunner.run', () => {
  it("should run the provider's step and give its outcome", async () => {
    const outcome: StepOutcome = {
      message: 'Resetting',
      runtimeStatus: 'Resetting',
      next: { phase: 'wait', waitMs: 5 },
    };
    expect(await runner(async () => outcome).steps.run(operation())).toBe(outcome);
  });

  it('should wait for the runtime lock at the first step, and give up once the request is 30 s old', async () => {
    const { steps } = runner(async () => ({ message: 'never' }), false);
    expect(await steps.run(operation({ phase: 'begin' }))).toEqual({
      message: 'Waiting for the runtime lock',
      next: { phase: 'begin', waitMs: 1000 },
    });
    const old = await steps.run(operation({ phase: 'begin', createdOn: iso(NOW - 31_000) }));
    expect(old.result).toEqual({
      ok: false,
      error: { code: 'Abandoned', message: 'The request was interrupted before it started; send it again.' },
    });
  });

  it('should end the operation with the code and words of a coded error', async () => {
    const { steps, errors } = runner(async () => {
      throw new AppError(ErrorCode.Conflict, 'chat-dev is stopped.');
    });
    expect((await steps.run(operation())).result).toEqual({
      ok: false,
      error: { code: ErrorCode.Conflict, message: 'chat-dev is stopped.' },
    });
    expect(errors).toEqual([]);
  });

  it('should retry an unexpected failure after 1 s, then 2 s, then fail it without its details, logging each', async () => {
    const { steps, errors } = runner(async () => {
      throw new TypeError('x is undefined');
    });
    const first = await steps.run(operation());
    expect(first.next).toEqual({ phase: 'reset', waitMs: 1000, state: { attempts: 1 } });
    const second = await steps.run(operation({ state: first.next!.state }));
    expect(second.next).toEqual({ phase: 'reset', waitMs: 2000, state: { attempts: 2 } });
    const last = await steps.run(operation({ state: second.next!.state }));
    expect(last.result).toEqual({
      ok: false,
      error: { code: 'InternalError', message: 'The runtime service failed to complete this operation.' },
    });
    expect(errors).toHaveLength(3);
    expect(errors[0]).toContain('x is undefined');
  });
});

describe('StepRunner.publish', () => {
  it('should append each runtime change, then the end of the operation, in one write', async () => {
    const { steps, events } = runner(async () => ({ message: 'never' }));
    const before = operation();
    const after = operation({ status: 'Succeeded', phase: 'done' });
    await steps.publish(before, after, [
      { message: 'Resetting', runtimeStatus: 'Resetting' },
      { message: 'No status change' },
      { message: 'Running again', runtimeStatus: 'Running' },
    ]);
    await events.settled();
    const log = await events.after(undefined);
    expect(log.map((e) => [e.type, e.data.status ?? (e.data.operation as { status: string }).status])).toEqual([
      ['runtime.changed', 'Resetting'],
      ['runtime.changed', 'Running'],
      ['operation.completed', 'Succeeded'],
    ]);
  });

  it('should announce a deleted runtime, and an end only when the operation ends with these steps', async () => {
    const { steps, events } = runner(async () => ({ message: 'never' }));
    const ended = operation({ status: 'Succeeded', phase: 'done' });
    await steps.publish(ended, ended, [{ message: 'Deleted', runtimeStatus: 'NotExist' }]);
    await events.settled();
    expect((await events.after(undefined)).map((e) => e.type)).toEqual(['runtime.deleted']);
  });
});
