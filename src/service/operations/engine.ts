/**
 * The operations engine: every change to a runtime is an operation with an id, stored before it
 * runs, advanced one step at a time by whichever replica claims it, and resumed after a crash.
 *
 * Exactly-once rests on three eTag-guarded writes:
 * - the runtime record's `activeOperation` is the per-runtime lock (create claims the name by
 *   creating the record);
 * - an idempotency record per (acting user, Idempotency-Key) maps a retry to the first operation
 *   for IDEMPOTENCY_TTL_MS (idempotencyKeys.ts); the periodic sweep deletes older ones;
 * - a lease on the operation record lets one worker run each step. The worker publishes the
 *   step's events before it lets the lease go, so the next step, on whichever replica, appends
 *   after them: one runtime's events stay in order.
 *
 * What a change costs in storage calls is held by test/service/operations/storageCalls.test.ts:
 * the record is created with the lease, a lease still held is used without a write, steps due at
 * once share one write of the record and one append of their events.
 *
 * Beside it: the lock's release and repair (locks.ts), one step and the events it announces
 * (stepRunner.ts), the periodic sweep (sweep.ts), idempotency records (idempotencyKeys.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../clock';
import { RUNTIME_NAME } from '../../domain/runtime';
import { AppError, ErrorCode } from '../../errors';
import type { Logger } from '../../logger';
import { IDLE_POLL_MS, PollLoop } from '../../infra/pollLoop';
import { backoff, Collection, type Stored, withoutEtag } from '../../storage/collection';
import { isEtagConflict, type Storage } from '../../storage/storage';
import { RecordLeases } from '../../storage/lease';
import type { EventLog } from '../events/eventLog';
import { type OperationRecord, type RuntimeRecord, runtimeKey, type StepOutcome, summarize } from '../model';
import type { RuntimeProvider } from '../providers/provider';
import type { RuntimeIndex } from '../readModel/readModel';
import { recordOperationEnd, traceStep } from '../../telemetry/operations';
import { traceparentField } from '../../telemetry/traceparent';
import { checkPreconditions, idempotencyId } from './preconditions';
import { IdempotencyKeys } from './idempotencyKeys';
import { ABANDON_AFTER_MS, RuntimeLocks, TERMINAL } from './locks';
import { applyOutcome, newOperation, type SubmitRequest } from './records';
import { StepRunner } from './stepRunner';
import { Sweep } from './sweep';

export { IDEMPOTENCY_TTL_MS } from './idempotencyKeys';
export { sha256 } from './preconditions';
export type { SubmitRequest } from './records';

export interface EngineOptions {
  owner?: string;
  leaseMs?: number;
  tickMs?: number;
  sweepMs?: number;
  /** A step that throws an unexpected error is retried this many times before the operation fails. */
  maxStepRetries?: number;
}

/** What one call of `advance` did. */
export interface Advanced {
  ran: boolean;
  /** The operation as this process last wrote it, when it wrote it. */
  last?: OperationRecord;
}

const SUBMIT_ATTEMPTS = 10;
/** Steps due at once that run before the operation record is written (see runSteps). */
const MAX_CHAINED_STEPS = 10;
/**
 * How often each replica sweeps: it reads every runtime record (idle shutdowns, locks left by a
 * crash), which on blob storage is one request per runtime. Locks count as abandoned after 30 s
 * and idle times are whole minutes, so a sweep every 30 s loses nothing.
 */
const SWEEP_MS = 30_000;
const SYNC_CHECK_MS = 5000;

export class OperationEngine {
  readonly runtimes: Collection<RuntimeRecord>;
  readonly operations: Collection<OperationRecord>;
  private readonly pending: Collection<{ since: string }>;
  private readonly idempotency: IdempotencyKeys;
  /** This process's name in the operation leases it takes (logged at start, for operators). */
  readonly owner: string;
  private readonly leases: RecordLeases<OperationRecord>;
  private readonly locks: RuntimeLocks;
  private readonly stepRunner: StepRunner;
  private readonly sweeper: Sweep;
  private steps?: PollLoop;
  private loops: PollLoop[] = [];
  /** Operations this process is advancing now: one advance per operation at a time. */
  private readonly advancing = new Set<string>();

  constructor(
    storage: Storage,
    private readonly provider: RuntimeProvider,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** The read model: the locks look there for what is held or due instead of reading every record. */
    index: RuntimeIndex,
    private readonly options: EngineOptions = {},
  ) {
    this.runtimes = new Collection(storage, 'runtimes');
    this.operations = new Collection(storage, 'operations');
    this.pending = new Collection(storage, 'pending-operations');
    this.idempotency = new IdempotencyKeys(storage, clock, log, ABANDON_AFTER_MS);
    this.owner = options.owner ?? `worker-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.leases = new RecordLeases(this.operations, this.owner, clock, options.leaseMs ?? 30_000);
    this.locks = new RuntimeLocks(this.runtimes, this.operations, this.pending, index, clock, log);
    this.stepRunner = new StepRunner(provider, this.locks, events, clock, log, options.maxStepRetries ?? 5);
    this.sweeper = new Sweep(provider, events, this.locks, this.idempotency, log, (request) => this.submit(request));
  }

  /**
   * Checks a change as submit would, without starting it: for requests that wait for an approval
   * first, so that the approvers never vote on something that cannot run.
   */
  async validate(
    request: SubmitRequest,
  ): Promise<{ input: Record<string, unknown>; warnings: string[]; eTag?: string }> {
    const { current, prepared } = await this.check(request);
    return { input: prepared.input, warnings: prepared.warnings, ...(current ? { eTag: current.eTag } : {}) };
  }

  /** The runtime as it is now, the preconditions, and the provider's verdict on the change. */
  private async check(request: SubmitRequest) {
    const key = runtimeKey(request.runtimeName);
    const current = RUNTIME_NAME.test(request.runtimeName) ? await this.runtimes.get(key) : undefined;
    checkPreconditions(request, current);
    const prepared = await this.provider.prepare(
      request.kind,
      current?.name ?? request.runtimeName,
      request.input,
      request.actor,
      current ? withoutEtag(current) : undefined,
    );
    return { key, current, prepared };
  }

  /** Accepts a change: validates it, claims the runtime and runs the first step. */
  async submit(request: SubmitRequest): Promise<{ operation: OperationRecord; created: boolean }> {
    const idemId = request.idempotencyKey ? idempotencyId(request.actor, request.idempotencyKey) : undefined;
    for (let attempt = 0; attempt < SUBMIT_ATTEMPTS; attempt++) {
      if (attempt > 0) await backoff(attempt);
      if (idemId) {
        const replay = await this.idempotency.replay(idemId, request.fingerprint, (id) => this.operations.get(id));
        if (replay) return { operation: replay, created: false };
      }
      const { key, current, prepared } = await this.check(request);
      const op = newOperation(
        this.clock.now(),
        request,
        key,
        current?.name ?? request.runtimeName,
        prepared.input,
        prepared.warnings,
      );
      // The idempotency record goes first: a concurrent retry with the same key finds it and waits
      // for this operation instead of racing for the runtime.
      // Another request with this key got there first: replay it.
      if (idemId && !(await this.idempotency.claim(idemId, op))) continue;
      const lock = { ...summarize(op), status: 'Running' as const };
      try {
        if (request.kind === 'create') {
          await this.runtimes.create(key, { ...(prepared.initial as RuntimeRecord), activeOperation: lock });
        } else {
          await this.runtimes.replace(key, { ...withoutEtag(current!), activeOperation: lock }, current!.eTag);
        }
      } catch (error) {
        if (idemId) await this.idempotency.release(idemId);
        if (!isEtagConflict(error)) throw error;
        continue; // someone changed the runtime in between: evaluate again with fresh state
      }
      // Queued before the record exists: an operation whose record exists is always found by the
      // workers, even when this process dies right after writing it.
      await this.pending.put(op.id, { since: op.createdOn });
      // Created leased to this process, which runs the first step at once: no second write to take
      // it, and no other worker runs a step before `operation.started` is out.
      const leased = { ...op, lease: this.leases.hold() };
      await this.operations.create(op.id, { ...leased, ...traceparentField() }); // later steps link to this request
      await this.events.append('operation.started', { operation: summarize(op), runtimeName: op.runtimeName });
      this.log.info('operation accepted', { operationId: op.id, kind: op.kind, runtime: op.runtimeName });
      let latest: OperationRecord = leased;
      try {
        latest = (await this.advance(op.id)).last ?? latest;
      } catch (error) {
        // Accepted is accepted: the workers retry the step, and the client gets its operation.
        this.log.warn('the first step of an accepted operation failed; a worker retries it', {
          operationId: op.id,
          error,
        });
      }
      this.steps?.wake(); // its next steps are due soon
      return { operation: latest, created: true };
    }
    throw new AppError(
      ErrorCode.Overloaded,
      `${request.runtimeName} is changing too often right now; nothing was changed. Try again in a moment.`,
      { retryAfterMs: 1000 },
    );
  }

  async getOperation(id: string): Promise<OperationRecord | undefined> {
    return this.operations.get(id);
  }

  /** Runs every due step once. Safe to call from several processes at the same time. */
  async tick(): Promise<number> {
    return (await this.tickRound()).ran;
  }

  /** A tick that also says how many operations are still under way. */
  private async tickRound(): Promise<{ ran: number; pending: number }> {
    const ids = await this.pending.ids();
    let ran = 0;
    for (const id of ids) {
      if ((await this.advance(id)).ran) ran++;
    }
    return { ran, pending: ids.length };
  }

  /** Mirrors outside changes, starts the provider's own changes, repairs locks (sweep.ts). */
  async sweep(): Promise<void> {
    await this.sweeper.run();
  }

  /** Runs until every pending operation has ended; for tests and scripts with a fake clock. */
  async drain(maxTicks = 1000): Promise<void> {
    for (let i = 0; i < maxTicks; i++) {
      if ((await this.pending.ids()).length === 0) return;
      await this.tick();
    }
    throw new Error('operations did not finish');
  }

  start(): void {
    const tickMs = this.options.tickMs ?? 200;
    const log = this.log;
    // Steps are looked for often while operations run, and rarely when none do.
    this.steps = new PollLoop(async () => (await this.tickRound()).pending > 0, {
      busyMs: tickMs,
      idleMs: Math.max(tickMs, IDLE_POLL_MS),
      log,
      name: 'tick',
    });
    this.loops = [
      this.steps,
      // The provider decides when a sync is due; asking costs nothing until then.
      new PollLoop(() => this.sweeper.sync(), { busyMs: SYNC_CHECK_MS, log, name: 'sync' }),
      new PollLoop(() => this.sweep(), { busyMs: this.options.sweepMs ?? SWEEP_MS, log, name: 'sweep' }),
    ];
    for (const loop of this.loops) loop.start();
  }

  /** Stops the loops; resolves when the rounds under way have ended. */
  async stop(): Promise<void> {
    const loops = this.loops;
    this.loops = [];
    this.steps = undefined;
    await Promise.all(loops.map((loop) => loop.stop()));
  }

  /**
   * Advances one operation as far as it can go now. Says whether a step ran, and the record as
   * this process last wrote it (when it wrote one).
   */
  async advance(id: string): Promise<Advanced> {
    // A second caller here (a tick while the request runs the first step) would run the next step
    // under the same owner's lease, and its events could overtake this one's.
    if (this.advancing.has(id)) return { ran: false };
    this.advancing.add(id);
    try {
      return await this.advanceOnce(id);
    } finally {
      this.advancing.delete(id);
    }
  }

  private async advanceOnce(id: string): Promise<Advanced> {
    let ran = false;
    let last: OperationRecord | undefined;
    for (let guard = 0; guard < 20; guard++) {
      const op = await this.operations.get(id);
      if (!op) {
        await this.dropIfAbandoned(id);
        return { ran, last };
      }
      if (TERMINAL.has(op.status)) {
        await this.locks.finish(op);
        return { ran, last };
      }
      const now = this.clock.now();
      if (op.dueAt > now) return { ran, last };
      const leased = await this.lease(id, op);
      if (!leased) return { ran, last };
      const { next, outcomes } = await this.runSteps(leased.record);
      ran = true;
      // Still leased, and for a full term again: the next step, here or elsewhere, waits until this
      // step's events are out, and a next step due at once runs here without taking the lease anew.
      const stored = TERMINAL.has(next.status) ? next : { ...next, lease: this.leases.hold() };
      try {
        await this.operations.replace(id, stored, leased.eTag);
      } catch (error) {
        if (isEtagConflict(error)) return { ran, last }; // our lease expired and another worker took over
        throw error;
      }
      last = stored;
      recordOperationEnd(leased.record, next);
      await this.stepRunner.publish(leased.record, next, outcomes);
      if (TERMINAL.has(next.status)) {
        await this.locks.finish(next);
        return { ran, last };
      }
      if (next.dueAt > this.clock.now()) {
        await this.leases.release(id); // any worker may run the next step when it is due
        const { lease: _lease, ...released } = stored;
        return { ran, last: released };
      }
    }
    return { ran, last };
  }

  /**
   * Runs the operation's step, and the steps after it that are due at once (a duration of 0), one
   * after the other without a write between them: steps are safe to repeat, so a crash in the
   * middle only runs them again from the first, and the record is written once for all of them.
   * The chain stops where a step waits, hands state on, the operation ends, or the lease has half
   * its term left.
   */
  private async runSteps(leased: OperationRecord): Promise<{ next: OperationRecord; outcomes: StepOutcome[] }> {
    const outcomes: StepOutcome[] = [];
    let current = leased;
    for (;;) {
      const step = current;
      const outcome = await traceStep(step, () => this.stepRunner.run(step));
      outcomes.push(outcome);
      const next = applyOutcome(step, outcome, this.clock.now());
      // A step that hands state to the next one (a write it must not send twice) is stored first.
      const chained =
        !TERMINAL.has(next.status) &&
        next.dueAt <= this.clock.now() &&
        outcome.next?.state === undefined &&
        outcomes.length < MAX_CHAINED_STEPS &&
        this.leases.keeps(leased);
      if (!chained) return { next, outcomes };
      current = { ...next, lease: leased.lease };
    }
  }

  /**
   * The operation as read, leased to this process, and the eTag that fences the step's write.
   * A lease this process still holds for more than half its term (the previous step's write
   * renewed it, or submit created the record with it) is used as it is: the record just read is
   * the fence. Otherwise the lease is taken, and the record read again for its eTag (storage
   * writes return none), making sure the lease is still ours.
   */
  private async lease(
    id: string,
    op: Stored<OperationRecord>,
  ): Promise<{ record: OperationRecord; eTag: string } | undefined> {
    if (this.leases.keeps(op)) return { record: withoutEtag(op), eTag: op.eTag };
    const leased = await this.leases.take(id, op);
    if (!leased) return undefined;
    const mine = await this.operations.get(id);
    if (!mine || mine.lease?.owner !== this.owner || mine.lease.until !== leased.lease?.until) return undefined;
    return { record: leased, eTag: mine.eTag };
  }

  /**
   * A queued operation without a record: its submit is between the two writes, or died there.
   * The queue entry goes once the submit has had ABANDON_AFTER_MS to write the record.
   */
  private async dropIfAbandoned(id: string): Promise<void> {
    const queued = await this.pending.get(id);
    if (queued && this.clock.now() - Date.parse(queued.since) > ABANDON_AFTER_MS) await this.pending.delete(id);
  }
}
