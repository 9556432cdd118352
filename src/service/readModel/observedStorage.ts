/**
 * The service's storage as its writers use it: after every write or delete that touches a runtime
 * record, the record is read back into the read model before the call returns, so that this
 * replica's next read shows its own change. Other replicas learn of it from the event that follows.
 * Every writer of runtime records (engine, providers, sync, demo data) gets this storage, so none
 * of them has to remember to tell the read model.
 */
import type { Storage, StoreItems } from '../../storage/storage';

export const RUNTIME_PREFIX = 'runtimes/';

export class ObservedStorage implements Storage {
  constructor(
    private readonly inner: Storage,
    /** Must not throw: the write has happened whatever the read-back does. */
    private readonly written: (runtimeKeys: string[]) => Promise<void>,
  ) {}

  read(keys: string[]): Promise<StoreItems> {
    return this.inner.read(keys);
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }

  health(): Promise<{ ok: boolean; detail: string }> {
    return this.inner.health();
  }

  async write(changes: StoreItems): Promise<void> {
    // Read back even after a failed write: a conflict means someone else changed the record.
    try {
      await this.inner.write(changes);
    } finally {
      await this.readBack(Object.keys(changes));
    }
  }

  async delete(keys: string[]): Promise<void> {
    try {
      await this.inner.delete(keys);
    } finally {
      await this.readBack(keys);
    }
  }

  private async readBack(keys: string[]): Promise<void> {
    const runtimeKeys = keys.filter((k) => k.startsWith(RUNTIME_PREFIX)).map((k) => k.slice(RUNTIME_PREFIX.length));
    if (runtimeKeys.length) await this.written(runtimeKeys);
  }
}
