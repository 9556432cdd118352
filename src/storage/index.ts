/** Picks the storage backend from configuration. */
import path from 'node:path';
import { FileStorage } from './fileStorage';
import { MemoryStorage } from './memoryStorage';
import type { Storage } from './storage';

export function createStorage(kind: 'file' | 'memory', dataDir: string, area: string): Storage {
  return kind === 'memory' ? new MemoryStorage() : new FileStorage(path.join(dataDir, area));
}
