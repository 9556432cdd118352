/**
 * One step of an operation through its provider, and the events the steps just run announce. A
 * step's failure becomes an outcome: a coded error ends the operation, anything else is retried
 * with backoff a few times first.
 */
import type { Clock } from '../../clock';
import { AppError } from '../../errors';
import { type BackoffPolicy, backoffDelay } from '../../infra/retry';
import type { Logger } from '../../logger';
import type { EventLog } from '../events/eventLog';
import { type OperationRecord, type StepOutcome, summarize } from '../model';
import type { RuntimeProvider } from '../providers/provider';
import { ABANDON_AFTER_MS, type RuntimeLocks, TERMINAL } from './locks';

/** A step that threw is tried again after 1 s, 2 s, 4 s … (at most a minute), without jitter. */
const STEP_RETRY: BackoffPolicy = { baseMs: 1000, maxMs: 60_000, jitter: [1, 1] };

export class StepRunner {
  constructor(
    private readonly provider: RuntimeProvider,
    private readonly locks: RuntimeLocks,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** A step that throws an unexpected error is retried this many times before the operation fails. */
    private readonly maxStepRetries: number,
  ) {}

  async run(op: OperationRecord): Promise<StepOutcome> {
    if (op.phase === 'begin' && !(await this.locks.heldBy(op))) {
      const abandoned = this.clock.now() - Date.parse(op.createdOn) > ABANDON_AFTER_MS;
      if (!abandoned) return { message: 'Waiting for the runtime lock', next: { phase: 'begin', waitMs: 1000 } };
      return {
        message: 'The request was interrupted before it started',
        result: {
          ok: false,
          error: { code: 'Abandoned', message: 'The request was interrupted before it started; send it again.' },
        },
      };
    }
    try {
      return await this.provider.step(op);
    } catch (error) {
      if (error instanceof AppError) {
        return { message: error.message, result: { ok: false, error: { code: error.code, message: error.message } } };
      }
      const attempts = Number(op.state?.attempts ?? 0) + 1;
      this.log.error('operation step failed', { operationId: op.id, phase: op.phase, attempts, error });
      if (attempts > this.maxStepRetries) {
        return {
          message: 'The operation failed unexpectedly',
          result: {
            ok: false,
            error: { code: 'InternalError', message: 'The runtime service failed to complete this operation.' },
          },
        };
      }
      const waitMs = backoffDelay(STEP_RETRY, attempts);
      return {
        message: `Retrying after an error (attempt ${attempts})`,
        next: { phase: op.phase, waitMs, state: { ...op.state, attempts } },
      };
    }
  }

  /** The events of the steps just run, in one append: each runtime change, then the operation's end. */
  async publish(before: OperationRecord, after: OperationRecord, outcomes: StepOutcome[]): Promise<void> {
    const events: Parameters<EventLog['appendAll']>[0] = [];
    for (const outcome of outcomes) {
      if (!outcome.runtimeStatus) continue;
      events.push({
        type: outcome.runtimeStatus === 'NotExist' ? 'runtime.deleted' : 'runtime.changed',
        data: {
          runtimeName: after.runtimeName,
          status: outcome.runtimeStatus,
          operationId: after.id,
          message: outcome.message,
        },
      });
    }
    const completed = TERMINAL.has(after.status) && !TERMINAL.has(before.status);
    if (completed) {
      events.push({
        type: 'operation.completed',
        data: { operation: summarize(after), runtimeName: after.runtimeName },
      });
    }
    await this.events.appendAll(events);
    if (completed) {
      this.log.info('operation completed', { operationId: after.id, status: after.status, error: after.error });
    }
  }
}
