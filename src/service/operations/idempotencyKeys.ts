/**
 * Idempotency-Key records: one per (acting user, key), created before the runtime is claimed, so a
 * retry of a request finds the operation its first try started instead of starting another one.
 * Records live IDEMPOTENCY_TTL_MS; the engine's sweep deletes older ones.
 */
import type { Clock } from '../../clock';
import { AppError, ErrorCode } from '../../errors';
import type { Logger } from '../../logger';
import { Collection } from '../../storage/collection';
import { isEtagConflict, type Storage } from '../../storage/storage';
import type { OperationRecord } from '../model';

/** A retry with the same Idempotency-Key returns the first operation for this long. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60_000;
/** Expired records are looked for at most this often per process. */
const EXPIRY_SWEEP_MS = 60 * 60_000;

interface IdempotencyRecord {
  operationId: string;
  fingerprint: string;
  createdOn: string;
}

export class IdempotencyKeys {
  private readonly records: Collection<IdempotencyRecord>;
  private lastExpirySweep = 0;

  constructor(
    storage: Storage,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** How long a record without its operation is waited for before its request counts as dead. */
    private readonly abandonAfterMs: number,
  ) {
    this.records = new Collection(storage, 'idempotency');
  }

  /** Claims the key for `op`; false when another request with this key got there first. */
  async claim(id: string, op: OperationRecord): Promise<boolean> {
    try {
      await this.records.create(id, { operationId: op.id, fingerprint: op.fingerprint, createdOn: op.createdOn });
      return true;
    } catch (error) {
      if (!isEtagConflict(error)) throw error;
      return false;
    }
  }

  /** Gives the key back, when the request that claimed it started nothing. */
  async release(id: string): Promise<void> {
    await this.records.delete(id);
  }

  /**
   * The operation an earlier request with the same key started. While that request is still
   * claiming the runtime its record exists without an operation: wait for it; if it gave up, the
   * record disappears and this request goes ahead on its own.
   */
  async replay(
    id: string,
    fingerprint: string,
    operationOf: (operationId: string) => Promise<OperationRecord | undefined>,
  ): Promise<OperationRecord | undefined> {
    for (let i = 0; i < 200; i++) {
      const record = await this.records.get(id);
      if (!record) return undefined;
      if (record.fingerprint !== fingerprint) {
        throw new AppError(
          ErrorCode.IdempotencyMismatch,
          'This Idempotency-Key was already used for a different request; use a new key for a new request.',
          { operationId: record.operationId },
        );
      }
      const op = await operationOf(record.operationId);
      if (op) return op;
      if (this.clock.now() - Date.parse(record.createdOn) > this.abandonAfterMs) {
        await this.records.delete(id); // its request died before it wrote the operation
        return undefined;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new AppError(
      ErrorCode.Conflict,
      'The first request with this Idempotency-Key has not finished starting; retry in a moment.',
    );
  }

  /** Deletes records past IDEMPOTENCY_TTL_MS; at most once an hour per process. */
  async expire(): Promise<void> {
    const now = this.clock.now();
    if (now - this.lastExpirySweep < EXPIRY_SWEEP_MS) return;
    this.lastExpirySweep = now;
    const ids = await this.records.ids();
    let expired = 0;
    for (let i = 0; i < ids.length; i += 200) {
      for (const [id, record] of await this.records.getManyWithIds(ids.slice(i, i + 200))) {
        if (now - Date.parse(record.createdOn) <= IDEMPOTENCY_TTL_MS) continue;
        await this.records.delete(id);
        expired++;
      }
    }
    if (expired) this.log.info('expired idempotency records deleted', { count: expired });
  }
}
