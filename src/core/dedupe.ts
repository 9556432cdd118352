/**
 * Recognizes redeliveries. Chat channels deliver a slow message or click again, sometimes under a
 * new id, so requests are keyed on business facts (who, where, what) and a repeat within a short
 * window is treated as the same request. The claim is an eTag-guarded write, so two replicas
 * receiving the same delivery cannot both win.
 */
import { createHash } from 'node:crypto';
import { Collection, UNCHANGED } from '../storage/collection';
import { isEtagConflict, type Storage } from '../storage/storage';

/** A repeat of the same request within this window is a redelivery, not a new request. */
export const DUPLICATE_WINDOW_MS = 60_000;

interface Claim {
  at: number;
  operationId?: string;
}

export type ClaimResult = { fresh: true; idempotencyKey: string } | { fresh: false; operationId?: string };

export class DuplicateGuard {
  private readonly claims: Collection<Claim>;

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
    try {
      const existing = await this.claims.get(key);
      if (existing && now - existing.at < this.windowMs) return { fresh: false, operationId: existing.operationId };
      if (existing) await this.claims.replace(key, { at: now }, existing.eTag);
      else await this.claims.create(key, { at: now });
      return { fresh: true, idempotencyKey: DuplicateGuard.key(key, String(now)) };
    } catch (error) {
      if (isEtagConflict(error)) return { fresh: false }; // a concurrent delivery of the same request won
      throw error;
    }
  }

  async remember(key: string, operationId: string): Promise<void> {
    await this.claims.update(key, (c) => (c ? { ...c, operationId } : UNCHANGED));
  }

  /** Forgets a claim whose request failed, so that the user can send it again at once. */
  async release(key: string): Promise<void> {
    await this.claims.delete(key);
  }
}
