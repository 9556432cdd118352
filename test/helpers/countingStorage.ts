/**
 * A Storage that passes every call to a real one and records it: which method, which keys (or the
 * prefix of a listing). Tests count what a component reads and writes, and can make the storage
 * fail from some call on (a process that dies mid-way).
 */
import type { Storage, StoreItems } from '../../src/storage/storage';

export interface StorageCall {
  method: 'read' | 'write' | 'delete' | 'list';
  keys: string[];
}

export class CountingStorage implements Storage {
  readonly calls: StorageCall[] = [];
  /** Set to make every later call fail, as if the process had died or the disk had gone. */
  failWith?: Error;
  /** Called before each call; throw from it to fail that call. */
  before?: (call: StorageCall) => void;

  constructor(readonly inner: Storage) {}

  /** Calls of `method` that touched a key starting with `prefix`. */
  count(method: StorageCall['method'], prefix = ''): number {
    return this.calls.filter((c) => c.method === method && c.keys.some((k) => k.startsWith(prefix))).length;
  }

  /** Every call as one `method key` line per key (`read runtimes/x`, `list outbox/`), in order. */
  lines(): string[] {
    return this.calls.flatMap((c) => c.keys.map((k) => `${c.method} ${k}`));
  }

  writes(prefix = ''): number {
    return this.count('write', prefix) + this.count('delete', prefix);
  }

  reset(): void {
    this.calls.length = 0;
  }

  async read(keys: string[]): Promise<StoreItems> {
    this.record({ method: 'read', keys });
    return this.inner.read(keys);
  }

  async write(changes: StoreItems): Promise<void> {
    this.record({ method: 'write', keys: Object.keys(changes) });
    return this.inner.write(changes);
  }

  async delete(keys: string[]): Promise<void> {
    this.record({ method: 'delete', keys });
    return this.inner.delete(keys);
  }

  async list(prefix: string): Promise<string[]> {
    this.record({ method: 'list', keys: [prefix] });
    return this.inner.list(prefix);
  }

  health(): Promise<{ ok: boolean; detail: string }> {
    return this.inner.health();
  }

  private record(call: StorageCall): void {
    if (this.failWith) throw this.failWith;
    this.before?.(call);
    this.calls.push(call);
  }
}
