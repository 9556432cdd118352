/**
 * Recognizes redeliveries. Chat channels deliver a slow message or click again, sometimes under a
 * new id, so requests are keyed on business facts (who, where, what) and a repeat within a short
 * window is treated as the same request. The claim is an eTag-guarded write, so two replicas
 * receiving the same delivery cannot both win.
 *
 * A claim also carries the Idempotency-Key its request sends to the runtime service. When the
 * request fails, the claim is released but keeps that key for a while: if the failure hid a
 * success (the service started the operation, then the answer was lost), the user's retry sends
 * the same key and gets the first operation back instead of a second one or a conflict.
 *
 * Claims expire: whoever claims sweeps the area at most once per SWEEP_EVERY_MS, deleting claims
 * older than their window and the key's reuse period. No record is shared between requests.
 */
import { createHash } from 'node:crypto';
import { Collection, UNCHANGED } from '../storage/collection';
import type { Storage } from '../storage/storage';
import type { Reply } from './replies';

/** A repeat of the same request within this window is a redelivery, not a new request. */
export const DUPLICATE_WINDOW_MS = 60_000;
/** How long a failed request's Idempotency-Key is reused by the same request sent again. */
export const KEY_REUSE_MS = 10 * 60_000;
const SWEEP_EVERY_MS = 60 * 60_000;

interface Claim {
  at: number;
  operationId?: string;
  /** The Idempotency-Key of the claim's request. */
  key?: string;
  /** Set when the request failed: the claim no longer blocks a repeat, but lends it its key. */
  releasedAt?: number;
}

/** What a request led to: a repeat of it shows this instead of running again. */
export type Outcome = { operationId: string } | { approvalId: string };

/** A repeat (`fresh: false`) carries what the first request led to, once that is known. */
export type ClaimResult =
  { fresh: true; idempotencyKey: string } | { fresh: false; operationId?: string; approvalId?: string };

/** A stored claim names an approval in its `operationId` under this prefix. */
const APPROVAL_PREFIX = 'approval:';

/**
 * What a request's replies leave for a repeat to show: the operation it started, or the approval it
 * asked for (unless `approvals` is false: a vote is not a request to show again). None: it failed.
 */
export function outcomeOf(replies: readonly Reply[], approvals = true): Outcome | undefined {
  for (const reply of replies) if (reply.kind === 'operation') return { operationId: reply.operation.id };
  if (!approvals) return undefined;
  for (const reply of replies) if (reply.kind === 'approval') return { approvalId: reply.approval.id };
  return undefined;
}

function decode(stored: string | undefined): Partial<{ operationId: string; approvalId: string }> {
  if (stored === undefined) return {};
  return stored.startsWith(APPROVAL_PREFIX)
    ? { approvalId: stored.slice(APPROVAL_PREFIX.length) }
    : { operationId: stored };
}

export class DuplicateGuard {
  private readonly claims: Collection<Claim>;
  private lastSweep = 0;
  private sweeping?: Promise<void>;

  constructor(
    storage: Storage,
    area: string,
    private readonly windowMs = DUPLICATE_WINDOW_MS,
  ) {
    this.claims = new Collection(storage, area);
  }

  static key(...parts: string[]): string {
    return createHash('sha256').update(parts.join('\n')).digest('hex');
  }

  /** Claims a request key; a repeat within the window gets the first request's operation id. */
  async claim(key: string, now: number): Promise<ClaimResult> {
    this.sweepNowAndThen(now);
    const existing = await this.claims.get(key);
    if (existing && existing.releasedAt === undefined && now - existing.at < this.windowMs)
      return { fresh: false, ...decode(existing.operationId) };
    const reused =
      existing?.key && existing.releasedAt !== undefined && now - existing.releasedAt < KEY_REUSE_MS
        ? existing.key
        : undefined;
    const idempotencyKey = reused ?? DuplicateGuard.key(key, String(now));
    // A concurrent delivery of the same request that wrote first wins.
    if (!(await this.claims.swap(key, existing, { at: now, key: idempotencyKey }))) return { fresh: false };
    return { fresh: true, idempotencyKey };
  }

  /**
   * Settles a claim once its request has run: an outcome is remembered for repeats to show; none
   * (the request failed) releases the claim, so that the user can send it again at once.
   */
  async settle(key: string, outcome: Outcome | undefined, now: number): Promise<void> {
    if (!outcome) return this.release(key, now);
    const operationId = 'approvalId' in outcome ? `${APPROVAL_PREFIX}${outcome.approvalId}` : outcome.operationId;
    await this.claims.update(key, (c) => (c ? { ...c, operationId } : UNCHANGED));
  }

  /**
   * Releases a claim whose request failed, so that the user can send it again at once; the repeat
   * reuses its Idempotency-Key (see the header).
   */
  async release(key: string, now: number): Promise<void> {
    await this.claims.update(key, (c) => (c ? { ...c, releasedAt: now } : UNCHANGED));
  }

  /** Starts a sweep in the background when the last one is an hour old. */
  private sweepNowAndThen(now: number): void {
    if (this.sweeping || now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    this.sweeping = this.sweep(now)
      .then(() => undefined)
      .catch(() => undefined) // housekeeping: the next sweep tries again
      .finally(() => {
        this.sweeping = undefined;
      });
  }

  /** Deletes claims that can neither block a repeat nor lend it a key any more. */
  async sweep(now: number): Promise<number> {
    const ids = await this.claims.ids();
    const keepFor = Math.max(this.windowMs, KEY_REUSE_MS);
    let deleted = 0;
    for (let i = 0; i < ids.length; i += 200) {
      for (const [id, claim] of await this.claims.getManyWithIds(ids.slice(i, i + 200))) {
        if (now - Math.max(claim.at, claim.releasedAt ?? 0) < keepFor) continue;
        await this.claims.delete(id);
        deleted++;
      }
    }
    return deleted;
  }
}
