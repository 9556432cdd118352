/**
 * The composition root picks the provider from config.provider: the emulator keeps its workspace
 * and demo data; azureml never writes demo runtimes, and starts (reporting itself not ready) even
 * when Entra cannot give it a token.
 */
import type { TokenCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/clock';
import { createLogger } from '../../../../src/logger';
import { createRuntimeServiceApp } from '../../../../src/service/app';
import { MemoryStorage } from '../../../../src/storage/memoryStorage';
import { sendRequest, serviceConfig } from '../../../helpers/service';

const failing: TokenCredential = {
  getToken: async () => {
    throw new Error('ClientSecretCredential authentication failed: AADSTS7000215 client_secret=hunter2');
  },
};

describe('provider wiring', () => {
  it('should run the local emulator with its demo data by default', async () => {
    const app = createRuntimeServiceApp({
      config: serviceConfig({ demoData: true }),
      storage: new MemoryStorage(),
      log: createLogger('silent'),
      clock: new FakeClock(),
      runWorkers: false,
    });
    const url = await app.start();
    try {
      expect((await sendRequest(url, 'GET', '/readyz')).json.provider).toEqual({
        name: 'local',
        ok: true,
        detail: 'local emulator',
      });
      expect((await app.engine.runtimes.all()).length).toBeGreaterThan(0);
      expect((await sendRequest(url, 'GET', '/v1/compute-instances')).json.value.length).toBeGreaterThan(0);
    } finally {
      await app.stop();
    }
  });

  it('should start the azureml provider without demo data, not ready while it has no token', async () => {
    const logs: string[] = [];
    const app = createRuntimeServiceApp({
      config: serviceConfig({
        demoData: true,
        provider: 'azureml',
        azureml: {
          subscriptionId: '0b1f6471-1bf0-4dda-aec3-cb9272f09590',
          resourceGroup: 'rg',
          workspace: 'ws',
          apiUrl: 'http://127.0.0.1:9',
          armScope: 'https://management.azure.com/.default',
          amlScope: 'https://ml.azure.com/.default',
          requestTimeoutSeconds: 1,
          operationTimeoutMinutes: 1,
          syncSeconds: 60,
        },
      }),
      storage: new MemoryStorage(),
      log: createLogger('debug', {}, (l) => logs.push(l)),
      clock: new FakeClock(),
      runWorkers: false,
      credential: failing,
    });
    const url = await app.start();
    try {
      expect(await app.engine.runtimes.all()).toEqual([]);
      const ready = await sendRequest(url, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.json.provider).toMatchObject({ name: 'azureml', ok: false });
      expect(ready.json.provider.detail).toMatch(
        /no management.azure.com token \(ClientSecretCredential authentication failed: AADSTS7000215/,
      );
      expect(JSON.stringify([ready.json, logs])).not.toContain('hunter2');
      expect((await sendRequest(url, 'GET', '/v1/vm-sizes')).json.value[0].name).toBe('Standard_E4ds_v4');
      expect((await sendRequest(url, 'GET', '/v1/identities')).json.value).toEqual([]);
    } finally {
      await app.stop();
    }
  });
});
