/** In-process Storage with the same eTag rules as FileStorage; for unit tests and benchmarks. */
import { checkKey, EtagConflictError, type Storage, type StoreItems, writeAllowed } from './storage';

export class MemoryStorage implements Storage {
  private readonly items = new Map<string, { version: number; json: string }>();
  private versions = 0;

  async read(keys: string[]): Promise<StoreItems> {
    keys.forEach(checkKey);
    const out: StoreItems = {};
    for (const key of keys) {
      const found = this.items.get(key);
      if (found) out[key] = { ...JSON.parse(found.json), eTag: String(found.version) };
    }
    return out;
  }

  async write(changes: StoreItems): Promise<void> {
    Object.keys(changes).forEach(checkKey);
    for (const [key, item] of Object.entries(changes)) {
      const { eTag, ...body } = item;
      const stored = this.items.get(key);
      if (!writeAllowed(eTag, stored ? String(stored.version) : undefined)) throw new EtagConflictError(key);
      this.items.set(key, { version: ++this.versions, json: JSON.stringify(body) });
    }
  }

  async delete(keys: string[]): Promise<void> {
    keys.forEach(checkKey);
    for (const key of keys) this.items.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.items.keys()].filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/')).sort();
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    return { ok: true, detail: 'memory storage' };
  }
}
