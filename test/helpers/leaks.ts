/**
 * Where a secret could end up, gathered as text to search: captured log lines, and everything ever
 * written to storage (a record that was written and later deleted counts too).
 */
import { createLogger, type Logger } from '../../src/logger';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import type { Storage, StoreItems } from '../../src/storage/storage';

/** A debug-level logger whose JSON lines are kept in memory. */
export function capturedLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger('debug', {}, (line) => lines.push(line)), lines };
}

/**
 * A MemoryStorage that also keeps the JSON of every write, key included; or, with `onWrite`, hands
 * each one over instead of keeping it (a long run would otherwise hold all of them in memory).
 */
export class RecordingStorage implements Storage {
  readonly writes: string[] = [];
  private readonly inner = new MemoryStorage();

  constructor(private readonly onWrite?: (json: string) => void) {}

  read(keys: string[]): Promise<StoreItems> {
    return this.inner.read(keys);
  }

  async write(changes: StoreItems): Promise<void> {
    await this.inner.write(changes);
    const json = JSON.stringify(changes);
    if (this.onWrite) this.onWrite(json);
    else this.writes.push(json);
  }

  delete(keys: string[]): Promise<void> {
    return this.inner.delete(keys);
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }

  health(): Promise<{ ok: boolean; detail: string }> {
    return this.inner.health();
  }

  /** Whether any write so far held this text, in any case. */
  everHeld(text: string): boolean {
    const wanted = text.toLowerCase();
    return this.writes.some((w) => w.toLowerCase().includes(wanted));
  }
}
