/**
 * A RuntimeProvider knows one backend's rules: how to validate a change, and how to move an
 * operation forward one step at a time. The operation engine owns everything generic: locks,
 * idempotency, persistence, leases, retries and events. Steps are re-entrant: after a crash the
 * engine runs the same phase again, so a step must be safe to repeat.
 */
import type {
  ComputeInstance,
  EnvironmentInfo,
  ManagedIdentity,
  OperationKind,
  Person,
  VmSize,
} from '../../domain/runtime';
import type { OperationRecord, PreparedOperation, RuntimeRecord, StepOutcome, SystemRequest } from '../model';

export interface ReferenceData {
  computeInstances(): Promise<ComputeInstance[]>;
  vmSizes(): Promise<VmSize[]>;
  environments(): Promise<EnvironmentInfo[]>;
  identities(): Promise<ManagedIdentity[]>;
}

/** What `prepare` is given; `current` is the runtime's record (absent for create). */
export type PrepareArgs = [
  kind: OperationKind,
  name: string,
  input: Record<string, unknown>,
  actor: Person,
  current: RuntimeRecord | undefined,
];

export interface RuntimeProvider {
  readonly name: 'local' | 'azureml';
  readonly reference: ReferenceData;

  /**
   * Validates a change against the backend's rules and normalizes it. Throws an AppError with
   * field errors for a bad request.
   */
  prepare(...args: PrepareArgs): Promise<PreparedOperation>;

  /** Runs the operation's current phase and says what comes next. */
  step(op: OperationRecord): Promise<StepOutcome>;

  /**
   * Starts or stops a compute instance; its runtimes become Unavailable while it is stopped.
   * Returns the runtimes whose status changed. Optional: a backend may leave this to its portal.
   */
  powerComputeInstance?(
    name: string,
    action: 'start' | 'stop',
    actor: Person,
  ): Promise<{ runtime: string; status: string }[]>;

  /** Changes the backend starts by itself (idle shutdowns), found by a periodic sweep. */
  systemWork(): Promise<SystemRequest[]>;

  /**
   * Mirrors changes made outside the service (another tool created, changed or deleted a runtime)
   * into the runtime records, leaving records with an operation in progress alone. The engine's
   * sweep calls it every time; the provider decides how often it really looks, and reports what
   * changed so that the engine can publish events. Optional: the local emulator has no outside.
   */
  sync?(): Promise<RuntimeChange[]>;

  /** Start-up work before the service listens (first tokens, first sync), and its undoing. */
  start?(): Promise<void>;
  stop?(): void | Promise<void>;

  health(): Promise<{ ok: boolean; detail: string }>;
}

/** A runtime that changed outside the service, found by `sync`. */
export interface RuntimeChange {
  runtimeName: string;
  status: string;
  kind: 'added' | 'changed' | 'deleted';
  message: string;
}
