/**
 * What the azureml steps share: their context, the record patch that only the lock holder may
 * write, and the rules for waiting. A step never blocks on Azure's progress: it looks once and says
 * when to look again (`waitMs`), so workers stay free and an operation survives restarts. A
 * transient Azure failure reschedules the same phase; every wait ends at the operation's deadline.
 */
import { iso } from '../../../clock';
import type { RuntimeStatus } from '../../../domain/runtime';
import { AppError } from '../../../errors';
import type { Logger } from '../../../logger';
import { type BackoffPolicy, backoffDelay } from '../../../infra/retry';
import { type Collection, UNCHANGED } from '../../../storage/collection';
import type { OperationRecord, RuntimeRecord, StepOutcome } from '../../model';
import type { AzureMlClient } from './client';
import { azureStatusOf, isRetryable } from './errors';
import type { PendingRequirements } from './pendingRequirements';

export interface AzureStepContext {
  client: AzureMlClient;
  runtimes: Collection<RuntimeRecord>;
  pending: PendingRequirements;
  now: () => number;
  latestVersion: () => Promise<string | undefined>;
  log: Logger;
  /** How long an operation may take before it fails. */
  operationTimeoutMs: number;
  /** Between two looks at a runtime or an async operation. */
  pollMs: number;
}

export type Patch = Partial<RuntimeRecord>;

/** Applies a patch while this operation holds the runtime's lock; undefined fields are removed. */
export async function patchRecord(ctx: AzureStepContext, op: OperationRecord, patch: Patch): Promise<void> {
  await ctx.runtimes.update(op.runtimeKey, (r) => {
    if (!r || r.activeOperation?.id !== op.id) return UNCHANGED;
    const next = { ...r, ...patch, modifiedOn: iso(ctx.now()) } as Record<string, unknown>;
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete next[k];
    return next as unknown as RuntimeRecord;
  });
}

/** Removes the runtime's record if this operation still holds it. */
export async function deleteRecord(ctx: AzureStepContext, op: OperationRecord): Promise<void> {
  const current = await ctx.runtimes.get(op.runtimeKey);
  if (current?.activeOperation?.id === op.id) await ctx.runtimes.delete(op.runtimeKey);
}

export function next(
  phase: string,
  waitMs: number,
  message: string,
  status?: RuntimeStatus,
  state?: Record<string, unknown>,
): StepOutcome {
  return {
    message,
    next: { phase, waitMs, ...(state ? { state } : {}) },
    ...(status ? { runtimeStatus: status } : {}),
  };
}

export function fail(code: string, message: string, status?: RuntimeStatus, details?: string): StepOutcome {
  return {
    message,
    ...(status ? { runtimeStatus: status } : {}),
    result: { ok: false, error: { code, message, ...(details ? { details } : {}) } },
  };
}

export function done(message: string, status?: RuntimeStatus): StepOutcome {
  return { message, ...(status ? { runtimeStatus: status } : {}), result: { ok: true } };
}

export function overdue(ctx: AzureStepContext, op: OperationRecord): boolean {
  return ctx.now() - Date.parse(op.createdOn) > ctx.operationTimeoutMs;
}

/** The operation ran out of time: fail it and leave the runtime as Azure last showed it. */
export function timedOut(ctx: AzureStepContext, op: OperationRecord, lastSeen?: string): StepOutcome {
  const minutes = Math.round(ctx.operationTimeoutMs / 60_000);
  const seen = lastSeen ? ` Azure ML last reported it as ${lastSeen}.` : '';
  return fail(
    'OperationTimedOut',
    `The ${op.kind} of ${op.runtimeName} did not finish within ${minutes} minutes.${seen} Check it in Azure ML studio, then try again.`,
  );
}

/**
 * Runs one Azure call of a phase. A transient failure (busy, unavailable, circuit open) looks again
 * later in the same phase; anything else is the operation's error.
 */
export async function attempt<T>(
  ctx: AzureStepContext,
  op: OperationRecord,
  call: () => Promise<T>,
): Promise<{ value: T } | { outcome: StepOutcome }> {
  try {
    return { value: await call() };
  } catch (error) {
    if (!isRetryable(error)) throw error;
    return { outcome: retryLater(ctx, op, error) };
  }
}

/** Like `attempt`, for a GET whose 404 means the thing is gone: the value is then undefined. */
export function attemptUnlessGone<T>(
  ctx: AzureStepContext,
  op: OperationRecord,
  call: () => Promise<T>,
): Promise<{ value: T | undefined } | { outcome: StepOutcome }> {
  return attempt(ctx, op, async () => {
    try {
      return await call();
    } catch (error) {
      if (azureStatusOf(error) === 404) return undefined;
      throw error;
    }
  });
}

/**
 * A transient failure of a phase's one write: send it again later, or, when it may have happened
 * and must not be repeated, look in `checkPhase` instead (with `sent` marked in the state).
 */
export function retryWrite(
  ctx: AzureStepContext,
  op: OperationRecord,
  error: AppError,
  checkPhase?: string,
): StepOutcome {
  const retry = retryLater(ctx, op, error, checkPhase ?? 'send');
  if (!checkPhase || !retry.next) return retry;
  return { ...retry, next: { ...retry.next, state: { ...retry.next.state, sent: true } } };
}

export type PhaseStep = (op: OperationRecord, record: RuntimeRecord, ctx: AzureStepContext) => Promise<StepOutcome>;

/** Runs the operation's current phase; one that is not in `phases` fails the operation. */
export function runPhase(
  op: OperationRecord,
  record: RuntimeRecord,
  ctx: AzureStepContext,
  phases: Record<string, PhaseStep>,
): Promise<StepOutcome> {
  if (!Object.hasOwn(phases, op.phase))
    return Promise.resolve(
      fail('UnknownPhase', `The runtime service cannot continue a ${op.kind} from phase ${op.phase}.`),
    );
  return phases[op.phase]!(op, record, ctx);
}

/** Looks again after Azure's Retry-After (or a growing wait), unless the deadline has passed. */
export function retryLater(ctx: AzureStepContext, op: OperationRecord, error: AppError, phase = op.phase): StepOutcome {
  if (overdue(ctx, op)) return fail(error.code, error.message);
  const tries = Number(op.state?.tries ?? 0) + 1;
  const hint = error.retryAfterMs;
  // Azure's Retry-After, else twice the poll interval doubling per try (six doublings at most); 1 s to 5 min.
  const policy: BackoffPolicy = { baseMs: 2 * ctx.pollMs, maxMs: 5 * 60_000, jitter: [1, 1], retryAfter: 'instead' };
  const waitMs = Math.max(1000, backoffDelay(policy, Math.min(tries, 6), hint));
  ctx.log.warn('azureml call failed, will look again', {
    operationId: op.id,
    phase,
    tries,
    waitMs,
    error: error.message,
  });
  return next(phase, waitMs, `${error.message} (looking again in ${Math.ceil(waitMs / 1000)} s)`, undefined, {
    ...op.state,
    tries,
  });
}

/** State for the next phase: the transient-failure count starts over. */
export function fresh(op: OperationRecord, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { tries: _t, ...rest } = op.state ?? {};
  return { ...rest, ...extra };
}

/** Stored requirement text as lines. */
export function lines(text: unknown): string[] {
  return String(text ?? '')
    .split('\n')
    .filter((l) => l.trim());
}

export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
