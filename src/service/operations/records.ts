/** Operation records: the request for one, a new one, and the next state of one after a step. Pure functions of their inputs. */
import { randomUUID } from 'node:crypto';
import { iso } from '../../clock';
import type { OperationKind, Person } from '../../domain/runtime';
import type { OperationRecord, StepOutcome } from '../model';

/** A change as the engine receives it. */
export interface SubmitRequest {
  kind: OperationKind;
  runtimeName: string;
  input: Record<string, unknown>;
  actor: Person;
  /** sha256 of the unredacted request; a retry with the same key must match it. */
  fingerprint: string;
  idempotencyKey?: string;
  ifMatch?: string;
}

export function newOperation(
  now: number,
  request: SubmitRequest,
  key: string,
  name: string,
  input: Record<string, unknown>,
  warnings: string[],
): OperationRecord {
  return {
    id: randomUUID(),
    kind: request.kind,
    runtimeName: name,
    runtimeKey: key,
    status: 'NotStarted',
    requestedBy: request.actor,
    createdOn: iso(now),
    updatedOn: iso(now),
    input,
    warnings,
    steps: [{ at: iso(now), status: 'NotStarted', message: 'Accepted' }],
    phase: 'begin',
    dueAt: now,
    fingerprint: request.fingerprint,
    ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}),
  };
}

/** The record after a step: status, the step's line in the history, and when the next step is due. */
export function applyOutcome(op: OperationRecord, outcome: StepOutcome, now: number): OperationRecord {
  const { lease: _lease, ...rest } = op;
  const status = outcome.result ? (outcome.result.ok ? 'Succeeded' : 'Failed') : 'Running';
  const step = {
    at: iso(now),
    status,
    message: outcome.message,
    ...(outcome.runtimeStatus ? { runtimeStatus: outcome.runtimeStatus } : {}),
  } as const;
  const sameAsLast = op.steps.at(-1)?.message === step.message;
  return {
    ...rest,
    status,
    updatedOn: iso(now),
    steps: sameAsLast ? op.steps : [...op.steps, step].slice(-50),
    ...(outcome.next
      ? { phase: outcome.next.phase, dueAt: now + outcome.next.waitMs, state: outcome.next.state ?? op.state }
      : { phase: 'done', dueAt: now }),
    ...(outcome.result ? { endedOn: iso(now) } : {}),
    ...(outcome.result && !outcome.result.ok ? { error: outcome.result.error } : {}),
  };
}
