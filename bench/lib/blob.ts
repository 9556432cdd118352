/**
 * Blob storage for the bench's storage dimension: Azurite started the way the tests start it
 * (test/helpers/azurite.ts: the npm package on a free loopback port, its data in a temporary
 * folder), and the settings a process needs to run on it, as `npm start` reads them. Each row gets
 * a container of its own, so that rows in one Azurite never see each other's items.
 */
import { randomBytes } from 'node:crypto';
import { type Azurite, startAzurite } from '../../test/helpers/azurite';
import type { StorageSettings } from '../../src/storage';

export type { Azurite };
export { startAzurite };

/** STORAGE=blob and its settings, as .env.example documents them; SECRETS_KEY is required with blob. */
export function blobEnv(azurite: Azurite, container: string): NodeJS.ProcessEnv {
  return {
    STORAGE: 'blob',
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    AZURE_STORAGE_CONTAINER: container,
    SECRETS_KEY: randomBytes(32).toString('base64'),
  };
}

/** The same settings as createStorage() takes them, for a section that builds its stack in-process. */
export function blobSettings(azurite: Azurite, container: string): StorageSettings {
  return { storage: 'blob', dataDir: '', blob: { connectionString: azurite.connectionString, container } };
}

export const AZURITE_NOTE =
  'Blob rows run on Azurite (the npm package, as the tests start it: its own process on a loopback port, data in a ' +
  'temporary folder on disk), on this machine: they measure the product against a real Blob API with loopback ' +
  "latency, not Azure's (a few ms a call within a region).";
