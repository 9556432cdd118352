/**
 * createStorage and describeStorage (src/storage/index.ts): the backend each setting picks, and
 * the start-up banner's storage line, which must never show an account key or a SAS.
 */
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { startupBanner } from '../../src/startup';
import { createStorage, describeStorage } from '../../src/storage';
import { FileStorage } from '../../src/storage/fileStorage';
import { MemoryStorage } from '../../src/storage/memoryStorage';

const KEY = 'c2VjcmV0LWFjY291bnQta2V5LW5ldmVyLXByaW50ZWQ=';
const SIG = 'sv=2024-08-04&ss=b&srt=sco&sp=rwdlac&se=2030-01-01T00:00:00Z&sig=TOPSECRETSIGNATURE';

describe('createStorage', () => {
  it('should keep each program in a folder of its own on file storage', async () => {
    const dataDir = os.tmpdir();
    const bot = await createStorage({ storage: 'file', dataDir }, 'bot');
    expect(bot).toBeInstanceOf(FileStorage);
    expect((await bot.health()).detail).toBe(`file storage at ${dataDir}/bot`);
    expect(await createStorage({ storage: 'memory', dataDir }, 'service')).toBeInstanceOf(MemoryStorage);
  });
});

describe('describeStorage', () => {
  it.each([
    [
      'an account key',
      `DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey=${KEY};EndpointSuffix=core.windows.net`,
    ],
    ['a SAS', `BlobEndpoint=https://contoso.blob.core.windows.net/;SharedAccessSignature=${SIG}`],
  ])('should name the container and not show %s', async (_what, connectionString) => {
    const line = await describeStorage({
      storage: 'blob',
      dataDir: '/unused',
      blob: { connectionString, container: 'bot-state' },
    });
    expect(line).toBe('Azure Blob Storage, https://contoso.blob.core.windows.net/bot-state');
    expect(line).not.toMatch(/TOPSECRET|c2VjcmV0|sig=|AccountKey/);
  });

  it('should put the storage in the start-up banner, and no secret', async () => {
    const config = loadConfig({
      STORAGE: 'blob',
      AZURE_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey=${KEY};EndpointSuffix=core.windows.net`,
      SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'),
    } as NodeJS.ProcessEnv);
    const banner = startupBanner(config, { botUrl: 'http://127.0.0.1:3978', storage: await describeStorage(config) });
    expect(banner).toContain(
      '  Storage:           Azure Blob Storage, https://contoso.blob.core.windows.net/promptflow-runtime-bot',
    );
    expect(banner).not.toContain(KEY);
    const file = loadConfig({ DATA_DIR: '/srv/data' } as NodeJS.ProcessEnv);
    expect(startupBanner(file, { botUrl: 'x', storage: await describeStorage(file) })).toContain(
      'Storage:           files under /srv/data (this host only)',
    );
  });
});
