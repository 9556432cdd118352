/**
 * The runtimes as this replica last read them, in key order: what the service's reads are answered
 * from. Memory only; the read model keeps it current. Records are frozen, because every reader
 * shares them.
 */
import { type Stored, withoutEtag } from '../../storage/collection';
import type { RuntimeRecord } from '../model';

export interface ProjectedRuntime {
  /** The storage key (the lower-cased name). */
  key: string;
  record: RuntimeRecord;
  eTag: string;
}

export class RuntimeProjection {
  private readonly byKey = new Map<string, ProjectedRuntime>();
  /** Sorted in code-unit order, the order of page tokens (localeCompare would disagree on - and _). */
  private readonly keys: string[] = [];
  private changes = 0;

  /** Grows with every change; what caches built from the projection compare. */
  get version(): number {
    return this.changes;
  }

  get size(): number {
    return this.keys.length;
  }

  get(key: string): ProjectedRuntime | undefined {
    return this.byKey.get(key);
  }

  /** Sets the record as stored, or removes it when it is gone. Returns whether anything changed. */
  apply(key: string, stored: Stored<RuntimeRecord> | undefined): boolean {
    const current = this.byKey.get(key);
    if (!stored) {
      if (!current) return false;
      this.byKey.delete(key);
      this.keys.splice(lowerBound(this.keys, key), 1);
      this.changes++;
      return true;
    }
    // eTags never repeat for a key (storage.ts), so an equal one is the same version.
    if (current?.eTag === stored.eTag) return false;
    if (!current) this.keys.splice(lowerBound(this.keys, key), 0, key);
    this.byKey.set(key, { key, record: deepFreeze(withoutEtag(stored)), eTag: stored.eTag });
    this.changes++;
    return true;
  }

  /** Every runtime in key order. */
  all(): Iterable<ProjectedRuntime> {
    return this.after('');
  }

  /** The runtimes whose key sorts after `key`, in key order. */
  *after(key: string): Iterable<ProjectedRuntime> {
    // Copied: a reader that awaits between items must not see the array shift under it.
    const keys = this.keys.slice(key ? upperBound(this.keys, key) : 0);
    for (const k of keys) {
      const entry = this.byKey.get(k);
      if (entry) yield entry;
    }
  }

  /** Every key, in order. */
  allKeys(): string[] {
    return [...this.keys];
  }
}

/** The first index whose key is not below `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index whose key is above `key`. */
function upperBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
