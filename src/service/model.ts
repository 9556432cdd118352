/**
 * What the runtime service stores. Records are the service's own truth for the local provider and a
 * shadow (locks, last operation, owner) for the azureml provider.
 */
import type {
  Operation,
  OperationKind,
  OperationSummary,
  Person,
  Runtime,
  RuntimeError,
  RuntimeStatus,
} from '../domain/runtime';

/** A runtime as stored: the wire shape minus the fields computed at read time. */
export type RuntimeRecord = Omit<Runtime, 'latestVersion' | 'outdated' | 'idleShutdownAt'>;

/** An operation as stored: the wire shape plus the engine's bookkeeping. */
export interface OperationRecord extends Operation {
  /** Storage key of the runtime (lower-cased name). */
  runtimeKey: string;
  /** Provider-specific step name; 'begin' before the first step ran. */
  phase: string;
  /** Epoch ms when the next step is due. */
  dueAt: number;
  /** A worker's claim on the next step, so two replicas never run the same step. */
  lease?: { owner: string; until: number };
  /** Provider-private state between steps (poll URLs, attempt counts). Never holds secrets. */
  state?: Record<string, unknown>;
  /** sha256 of the unredacted request, for idempotency comparisons. */
  fingerprint: string;
  idempotencyKey?: string;
  /** W3C traceparent of the request that submitted it: later steps' spans link to it. */
  traceparent?: string;
}

export interface StepOutcome {
  /** Short, user-facing description of what happened in this step. */
  message: string;
  runtimeStatus?: RuntimeStatus;
  /** Set when more steps follow. */
  next?: { phase: string; waitMs: number; state?: Record<string, unknown> };
  /** Set when the operation ended. */
  result?: { ok: true } | { ok: false; error: RuntimeError };
}

export interface PreparedOperation {
  /** Normalized, redacted request to store with the operation. */
  input: Record<string, unknown>;
  warnings: string[];
  /** For `create`: the record to create atomically, which also claims the name. */
  initial?: RuntimeRecord;
}

/** A change the service starts by itself (idle shutdown), with a key that makes it happen once. */
export interface SystemRequest {
  kind: OperationKind;
  runtimeName: string;
  input: Record<string, unknown>;
  idempotencyKey: string;
  reason: string;
}

export const SYSTEM_ACTOR: Person = { objectId: 'system', name: 'Runtime service' };

export function summarize(op: Operation): OperationSummary {
  return {
    id: op.id,
    kind: op.kind,
    status: op.status,
    requestedBy: op.requestedBy,
    createdOn: op.createdOn,
    ...(op.endedOn ? { endedOn: op.endedOn } : {}),
    ...(op.error ? { error: op.error } : {}),
  };
}

/** Public view of an operation record: the bookkeeping stays inside. */
export function toOperation(record: OperationRecord): Operation {
  const {
    runtimeKey: _k,
    phase: _p,
    dueAt: _d,
    lease: _l,
    state: _s,
    fingerprint: _f,
    idempotencyKey: _i,
    traceparent: _t,
    ...op
  } = record as OperationRecord & { eTag?: string };
  delete (op as { eTag?: string }).eTag;
  return op;
}

export const runtimeKey = (name: string): string => name.toLowerCase();
