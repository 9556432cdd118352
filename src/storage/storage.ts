/**
 * The one storage interface of the project, shaped like botbuilder's `Storage` (keyed items with
 * eTags) so that botbuilder's Blob and Cosmos backends can plug in behind a thin adapter. It does
 * not import the bot SDK: the runtime service uses it too.
 *
 * eTag rules on write:
 * - no eTag, or `*`: unconditional write (botbuilder's rule);
 * - `IF_NONE_MATCH`: create only; fails with EtagConflictError when the key exists;
 * - any other value: write only if the stored item still has that eTag.
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

/** Decides whether a write may proceed, given the stored item's eTag (undefined when absent). */
export function writeAllowed(requested: string | undefined, stored: string | undefined): boolean {
  if (requested === undefined || requested === '*') return true;
  if (requested === IF_NONE_MATCH) return stored === undefined;
  return stored !== undefined && stored === requested;
}
