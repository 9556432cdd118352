/**
 * Picks the storage backend from configuration; one area per program (`bot`, `service`). The
 * Azure SDK is loaded only for STORAGE=blob: it takes a noticeable part of a second to load.
 */
import path from 'node:path';
import type { Config } from '../config';
import type { BlobConnectOptions } from './blobConnect';
import { FileStorage } from './fileStorage';
import { MemoryStorage } from './memoryStorage';
import type { Storage } from './storage';

export type StorageSettings = Pick<Config, 'storage' | 'dataDir' | 'blob'>;
export type StorageArea = 'bot' | 'service';

/**
 * On file, an area is a folder of DATA_DIR; on blob, a name prefix in the one container, so that
 * one setting, one container and one role assignment serve both programs. Blob storage is
 * reached (and its container created) before this resolves, so a wrong setting stops start-up.
 */
export async function createStorage(
  settings: StorageSettings,
  area: StorageArea,
  options: BlobConnectOptions = {},
): Promise<Storage> {
  switch (settings.storage) {
    case 'memory':
      return new MemoryStorage();
    case 'file':
      return new FileStorage(path.join(settings.dataDir, area));
    case 'blob': {
      if (!settings.blob) throw new Error('STORAGE=blob without its settings');
      const { connectBlobStorage } = await import('./blobConnect');
      return connectBlobStorage(settings.blob, area, options);
    }
  }
}

/** One line for start-up banners and logs; never a key or a SAS. */
export async function describeStorage(settings: StorageSettings): Promise<string> {
  switch (settings.storage) {
    case 'memory':
      return 'memory (nothing is kept when the process stops)';
    case 'file':
      return `files under ${settings.dataDir} (this host only)`;
    case 'blob': {
      if (!settings.blob) return 'Azure Blob Storage';
      const { containerUrl } = await import('./blobConnect');
      return `Azure Blob Storage, ${containerUrl(settings.blob)}`;
    }
  }
}
