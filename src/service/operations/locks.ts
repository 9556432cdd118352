/**
 * The per-runtime lock: a runtime record's `activeOperation` names the one operation that may change
 * it. The engine takes it in submit; this releases it when the operation ends, and repairs it when a
 * crash between two writes left it behind.
 */
import type { Clock } from '../../clock';
import type { Logger } from '../../logger';
import { type Collection, UNCHANGED } from '../../storage/collection';
import { type OperationRecord, type RuntimeRecord, runtimeKey, summarize } from '../model';
import type { RuntimeIndex } from '../readModel/readModel';

/** How long a lock, or a queued operation without a record, may wait before it counts as abandoned. */
export const ABANDON_AFTER_MS = 30_000;

export const TERMINAL = new Set(['Succeeded', 'Failed']);

export class RuntimeLocks {
  constructor(
    private readonly runtimes: Collection<RuntimeRecord>,
    private readonly operations: Collection<OperationRecord>,
    /** The queue of operations under way: an operation that ends leaves it. */
    private readonly pending: Collection<{ since: string }>,
    private readonly index: RuntimeIndex,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Whether the operation holds its runtime's lock. */
  async heldBy(op: OperationRecord): Promise<boolean> {
    // A lock once released never names this operation again, so the read model's word that it
    // does is enough (submit's read-back put it there); only a doubt costs a read.
    return (
      this.index.get(op.runtimeKey)?.activeOperation?.id === op.id ||
      (await this.runtimes.get(op.runtimeKey))?.activeOperation?.id === op.id
    );
  }

  /** Releases the runtime lock, records the last operation and takes it off the queue; idempotent. */
  async finish(op: OperationRecord): Promise<void> {
    // Written on the record as the read model has it (this process's last write, read back), so
    // that most releases cost no read; a stale one only costs a refused write.
    await this.runtimes.update(
      op.runtimeKey,
      (r) =>
        r && r.activeOperation?.id === op.id
          ? { ...r, activeOperation: undefined, lastOperation: summarize(op) }
          : UNCHANGED,
      undefined,
      this.index.stored(op.runtimeKey),
    );
    await this.pending.delete(op.id);
  }

  /**
   * A lock whose operation is gone or finished (a crash between two writes) is released. Only the
   * locks older than ABANDON_AFTER_MS are due; the read model names them, and they are read again
   * before anything is decided, which also shows the read model a release that no event announced.
   */
  async repair(): Promise<void> {
    const due = this.index.lockedSince(this.clock.now() - ABANDON_AFTER_MS);
    if (due.length === 0) return;
    await this.index.refresh(due);
    for (const key of due) {
      const record = this.index.get(key);
      const active = record?.activeOperation;
      if (!record || !active || this.clock.now() - Date.parse(active.createdOn) < ABANDON_AFTER_MS) continue;
      const op = await this.operations.get(active.id);
      if (op && !TERMINAL.has(op.status)) {
        // Re-queued only when missing: a long operation is not rewritten on every sweep.
        if (!(await this.pending.get(op.id))) await this.pending.put(op.id, { since: op.createdOn });
        continue;
      }
      if (op) await this.finish(op);
      else await this.unclaim(runtimeKey(record.name), active.id, active.kind === 'create');
      this.log.warn('released a lock left by an interrupted operation', {
        runtime: record.name,
        operationId: active.id,
      });
    }
  }

  /** The lock of an operation that has no record: a runtime it was creating goes with it. */
  private async unclaim(key: string, operationId: string, creating: boolean): Promise<void> {
    if (creating) {
      const record = await this.runtimes.get(key);
      if (record?.activeOperation?.id === operationId) await this.runtimes.delete(key);
      return;
    }
    await this.runtimes.update(key, (r) =>
      r && r.activeOperation?.id === operationId ? { ...r, activeOperation: undefined } : UNCHANGED,
    );
  }
}
