/**
 * The one storage interface of the project, shaped like botbuilder's `Storage` (keyed items with
 * eTags) so that botbuilder's Blob and Cosmos backends can plug in behind a thin adapter. It does
 * not import the bot SDK: the runtime service uses it too.
 *
 * Keys are `/`-separated paths of non-empty segments (`runtimes/chat-dev`); any other character,
 * unicode included, is allowed and round-trips through every backend.
 *
 * eTag rules on write:
 * - no eTag, or `*`: unconditional write (botbuilder's rule);
 * - `IF_NONE_MATCH`: create only; fails with EtagConflictError when the key exists;
 * - any other value: write only if the stored item still has that eTag.
 * An eTag is opaque and never repeats for a key, not even across delete and re-create.
 *
 * Two additions over botbuilder's shape, both of which Blob and Cosmos can serve natively:
 * create-only writes (idempotency records, locks) and `list(prefix)` (keys under a prefix).
 */
export interface StoreItem {
  eTag?: string;
  [key: string]: unknown;
}

export type StoreItems = Record<string, StoreItem>;

/** The eTag that asks for a create-only write (HTTP's `If-None-Match: *`). */
export const IF_NONE_MATCH = 'if-none-match:*';

export interface Storage {
  read(keys: string[]): Promise<StoreItems>;
  write(changes: StoreItems): Promise<void>;
  delete(keys: string[]): Promise<void>;
  /** Keys that start with `prefix` and have no `/` after it, sorted as JavaScript sorts strings. */
  list(prefix: string): Promise<string[]>;
  /** Cheap check for readiness probes. */
  health(): Promise<{ ok: boolean; detail: string }>;
}

export class EtagConflictError extends Error {
  constructor(readonly key: string) {
    super(`eTag conflict on ${key}`);
    this.name = 'EtagConflictError';
  }
}

export function isEtagConflict(error: unknown): error is EtagConflictError {
  return error instanceof EtagConflictError;
}

/**
 * The store cannot be reached or answered with a server error, even after the backend's own
 * retries (a network failure, a 5xx, a timeout, a full disk). Nothing was decided: the caller may
 * try again later, so the service answers 503 with Retry-After and the bot says so in words. The
 * message is for logs only; it may name hosts or paths.
 */
export class StorageUnavailableError extends Error {
  constructor(
    message: string,
    /** How long a client should wait before trying again. */
    readonly retryAfterSeconds = 10,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'StorageUnavailableError';
  }
}

/** The outage behind an error, also when another layer wrapped it as its `cause`. */
export function storageOutageOf(error: unknown): StorageUnavailableError | undefined {
  for (let e = error, depth = 0; e && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof StorageUnavailableError) return e;
  }
  return undefined;
}

/** A key that no backend can store (empty segment, lone surrogate) or that is too long for this one. */
export class InvalidKeyError extends Error {
  constructor(key: string, reason: string) {
    super(`invalid storage key ${JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key)}: ${reason}`);
    this.name = 'InvalidKeyError';
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The key rules every backend shares; throws InvalidKeyError. */
export function checkKey(key: string): void {
  if (typeof key !== 'string' || key === '') throw new InvalidKeyError(String(key), 'it is empty');
  if (key.startsWith('/') || key.endsWith('/') || key.includes('//'))
    throw new InvalidKeyError(key, 'every segment between slashes must be non-empty');
  if (LONE_SURROGATE.test(key)) throw new InvalidKeyError(key, 'it is not well-formed unicode');
}

/** Decides whether a write may proceed, given the stored item's eTag (undefined when absent). */
export function writeAllowed(requested: string | undefined, stored: string | undefined): boolean {
  if (requested === undefined || requested === '*') return true;
  if (requested === IF_NONE_MATCH) return stored === undefined;
  return stored !== undefined && stored === requested;
}
