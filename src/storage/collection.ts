/**
 * A typed view of one key prefix of a Storage, with the optimistic-concurrency loop that every
 * read-modify-write in the project uses. Records never carry their eTag in the stored body.
 */
import { AppError, ErrorCode } from '../errors';
import { type Attempt, type BackoffPolicy, backoffDelay, retry } from '../infra/retry';
import { IF_NONE_MATCH, isEtagConflict, type Storage, type StoreItem } from './storage';

/**
 * A read-modify-write that kept losing to other writers of the same record, after backing off. It
 * changed nothing, so the request that needed it may be sent again: the service answers 503 with
 * Retry-After, the bot says it is busy. The key is for logs only: it never reaches a client.
 */
export class ContentionError extends AppError {
  constructor(readonly key: string) {
    super(ErrorCode.Overloaded, 'Too many changes are arriving at once; nothing was changed. Try again in a moment.', {
      retryAfterMs: RETRY_AFTER_MS,
    });
    this.name = 'ContentionError';
  }
}

/** What a client is asked to wait after a ContentionError. */
const RETRY_AFTER_MS = 1000;

export type Stored<T> = T & { eTag: string };

/** Returned by an `update` mutator to leave the record as it is. */
export const UNCHANGED = Symbol('unchanged');

/**
 * An id that cannot be a key (empty, or with a `/` that would reach into another collection). Ids
 * often come from a URL or a chat message, so it is a coded bad request: the HTTP edge answers 400
 * and the chat edge says what is wrong, instead of a 500 from a plain Error.
 */
export class InvalidIdError extends AppError {
  constructor(id: string) {
    super(
      ErrorCode.BadRequest,
      `${JSON.stringify(id.slice(0, 64))} is not a valid name: a name must not be empty or contain "/".`,
    );
    this.name = 'InvalidIdError';
  }
}

export class Collection<T extends object> {
  constructor(
    private readonly storage: Storage,
    private readonly prefix: string,
  ) {}

  key(id: string): string {
    if (typeof id !== 'string' || !id || id.includes('/')) throw new InvalidIdError(String(id));
    return `${this.prefix}/${id}`;
  }

  async get(id: string): Promise<Stored<T> | undefined> {
    const key = this.key(id);
    const found = await this.storage.read([key]);
    return found[key] as Stored<T> | undefined;
  }

  async getMany(ids: string[]): Promise<Stored<T>[]> {
    if (ids.length === 0) return [];
    const keys = ids.map((id) => this.key(id));
    const found = await this.storage.read(keys);
    return keys.map((k) => found[k]).filter((v): v is StoreItem => v !== undefined) as Stored<T>[];
  }

  /** Like getMany, but keeps each record's id; missing ids are left out. */
  async getManyWithIds(ids: string[]): Promise<[string, Stored<T>][]> {
    if (ids.length === 0) return [];
    const found = await this.storage.read(ids.map((id) => this.key(id)));
    return ids.flatMap((id) => {
      const item = found[this.key(id)];
      return item ? [[id, item as Stored<T>] as [string, Stored<T>]] : [];
    });
  }

  async ids(startsWith = ''): Promise<string[]> {
    const keys = await this.storage.list(`${this.prefix}/${startsWith}`);
    return keys.map((k) => k.slice(this.prefix.length + 1));
  }

  async all(): Promise<Stored<T>[]> {
    return this.getMany(await this.ids());
  }

  /** Creates the record; throws EtagConflictError when it exists already. */
  async create(id: string, value: T): Promise<void> {
    await this.storage.write({ [this.key(id)]: { ...strip(value), eTag: IF_NONE_MATCH } });
  }

  /** Replaces the record if it still has `eTag`; throws EtagConflictError otherwise. */
  async replace(id: string, value: T, eTag: string): Promise<void> {
    await this.storage.write({ [this.key(id)]: { ...strip(value), eTag } });
  }

  /**
   * Writes `next` if the record is still as `read` left it (creates it when `read` is undefined);
   * false when another writer came first. The compare-and-swap under leases and claims.
   */
  async swap(id: string, read: Stored<T> | undefined, next: T): Promise<boolean> {
    try {
      if (read) await this.replace(id, next, read.eTag);
      else await this.create(id, next);
      return true;
    } catch (error) {
      if (isEtagConflict(error)) return false;
      throw error;
    }
  }

  async put(id: string, value: T): Promise<void> {
    await this.storage.write({ [this.key(id)]: { ...strip(value), eTag: '*' } });
  }

  async delete(id: string): Promise<void> {
    await this.storage.delete([this.key(id)]);
  }

  /**
   * Read-modify-write with retries on eTag conflicts. The mutator sees the current value (or
   * undefined) and returns the next one, UNCHANGED, or undefined to leave a missing record missing.
   * Returns the value that was stored, or the current one when nothing was written.
   */
  async update(
    id: string,
    mutate: (current: T | undefined) => T | undefined | typeof UNCHANGED,
    attempts = ATTEMPTS,
    /**
     * The record as the caller last read or saw it, with its eTag: when the mutator changes it, it
     * is written without reading first. Only a successful write is trusted: a stale one costs a
     * failed write, and a mutator that declines it is asked again about the stored record.
     */
    known?: Stored<T>,
  ): Promise<T | undefined> {
    if (known) {
      const next = mutate(withoutEtag(known));
      if (next !== UNCHANGED && next !== undefined && (await this.swap(id, known, next))) return next;
    }
    return retry({ ...CONFLICT_BACKOFF, attempts }, async (): Promise<Attempt<T | undefined>> => {
      const current = await this.get(id);
      const next = mutate(current ? withoutEtag(current) : undefined);
      if (next === UNCHANGED) return { ok: true, value: current ? withoutEtag(current) : undefined };
      if (next === undefined || (await this.swap(id, current, next))) return { ok: true, value: next };
      return { ok: false, error: new ContentionError(this.key(id)), retryable: true };
    });
  }

  /**
   * A state transition of an existing record: like update, but the mutator may be async (it may
   * consult other stores) and returns undefined to decline, when the state has moved on.
   */
  async transition(
    id: string,
    mutate: (current: T) => Promise<T | undefined>,
    contention: () => Error = () => new ContentionError(this.key(id)),
    attempts = ATTEMPTS,
  ): Promise<T | undefined> {
    return retry({ ...CONFLICT_BACKOFF, attempts }, async (): Promise<Attempt<T | undefined>> => {
      const current = await this.get(id);
      if (!current) return { ok: true, value: undefined };
      const next = await mutate(withoutEtag(current));
      if (!next || (await this.swap(id, current, next))) return { ok: true, value: next };
      return { ok: false, error: contention(), retryable: true };
    });
  }
}

export function withoutEtag<T extends object>(value: Stored<T>): T {
  const { eTag: _eTag, ...rest } = value as Stored<T> & Record<string, unknown>;
  return rest as T;
}

function strip<T extends object>(value: T): StoreItem {
  const { eTag: _eTag, ...rest } = value as T & { eTag?: string };
  return rest as StoreItem;
}

/** Attempts of a read-modify-write; with `backoff`, at most about two seconds before giving up. */
const ATTEMPTS = 12;

/**
 * Exponential backoff with full jitter (5 ms doubling, capped at 400 ms): writers that collided
 * spread out instead of colliding again in lockstep. For any loop that retries an eTag conflict.
 */
const CONFLICT_BACKOFF: BackoffPolicy = { baseMs: 5, maxMs: 400, jitter: [0, 1] };

/** Waits before the next try of a write that lost a race; `attempt` counts from 0. */
export function backoff(attempt: number): Promise<void> {
  const ms = backoffDelay(CONFLICT_BACKOFF, attempt + 1);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
