/**
 * BlobStorage against Azurite: the shared contract (with 5 names per list page, so that listing
 * pages), then what only Blob has: areas in one container, the container made at start, foreign
 * blobs, name limits, deadlines, and the outage of a stopped server.
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStorage } from '../../src/storage';
import { EtagConflictError, IF_NONE_MATCH, InvalidKeyError, StorageUnavailableError } from '../../src/storage/storage';
import { type Azurite, startAzurite } from '../helpers/azurite';
import { ensureTestCertificate } from '../helpers/azureml/certificate';
import { describeStorageContract, HOSTILE_KEYS } from './contract';

let azurite: Azurite;
let containers = 0;

beforeAll(async () => {
  azurite = await startAzurite();
});

afterAll(async () => {
  await azurite?.dispose();
});

/** A store in a container of its own, so that tests share one Azurite and nothing else. */
function blobStore(area: 'bot' | 'service' = 'bot', container = `contract-${++containers}`) {
  return createStorage(
    { storage: 'blob', dataDir: '/nowhere', blob: { connectionString: azurite.connectionString, container } },
    area,
    { pageSize: 5, callTimeoutMs: 5000, retry: { maxTries: 2, retryDelayInMs: 50, maxRetryDelayInMs: 100 } },
  );
}

describeStorageContract('BlobStorage on Azurite', {
  make: () => blobStore(),
  outage: { begin: () => azurite.stop(), end: () => azurite.restart() },
});

describe('BlobStorage on Azurite, beyond the contract', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  function rawContainer(container: string) {
    return BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container);
  }

  async function blobNames(container: string): Promise<string[]> {
    const names: string[] = [];
    for await (const blob of rawContainer(container).listBlobsFlat()) names.push(blob.name);
    return names.sort();
  }

  it('should keep the bot and the service apart in one container', async () => {
    const bot = await blobStore('bot', 'shared-areas');
    const service = await blobStore('service', 'shared-areas');
    await bot.write({ 'runtimes/a': { from: 'bot' } });
    await service.write({ 'runtimes/a': { from: 'service' }, 'runtimes/b': { from: 'service' } });
    expect((await bot.read(['runtimes/a']))['runtimes/a'].from).toBe('bot');
    expect(await bot.list('runtimes/')).toEqual(['runtimes/a']);
    await bot.delete(['runtimes/a']);
    expect(await service.list('runtimes/')).toEqual(['runtimes/a', 'runtimes/b']);
    expect(await blobNames('shared-areas')).toEqual(['service/runtimes/a', 'service/runtimes/b']);
  });

  it('should create its container at start, and find it there the next time', async () => {
    expect(await rawContainer('made-at-start').exists()).toBe(false);
    await blobStore('bot', 'made-at-start');
    expect(await rawContainer('made-at-start').exists()).toBe(true);
    const again = await blobStore('bot', 'made-at-start');
    expect(await again.health()).toEqual({ ok: true, detail: expect.stringContaining('/made-at-start') });
  });

  it('should name every blob with safe characters only, within Azure limits', async () => {
    const store = await blobStore('bot', 'safe-names');
    for (const key of HOSTILE_KEYS) await store.write({ [key]: { key } });
    const names = await blobNames('safe-names');
    expect(names).toHaveLength(HOSTILE_KEYS.length);
    for (const name of names) {
      expect(name).toMatch(/^bot\/odd\/[A-Za-z0-9_~-]+$/);
      expect(name.length).toBeLessThanOrEqual(1024);
    }
  });

  it('should leave out blobs it did not name itself', async () => {
    const store = await blobStore('bot', 'foreign-blobs');
    await store.write({ 'k/mine': { v: 1 } });
    for (const name of ['bot/k/plain.txt', 'bot/k/%41', 'bot/k/~ZZ', 'bot/k/~C3', 'other/k/x', 'bot/k/'])
      await rawContainer('foreign-blobs').getBlockBlobClient(name).upload('{}', 2);
    expect(await store.list('k/')).toEqual(['k/mine']);
  });

  it('should refuse a key longer than a blob name may be, before calling Azure', async () => {
    const store = await blobStore('bot', 'long-names');
    const long = `k/${'日'.repeat(120)}`; // 120 characters, 1,080 once encoded
    await expect(store.write({ [long]: { v: 1 } })).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.read([long])).rejects.toThrow(/at most 1024/);
    await store.write({ [`k/${'日'.repeat(100)}`]: { v: 1 } });
    expect(await blobNames('long-names')).toHaveLength(1);
  });

  it('should give up on a server that does not answer, with StorageUnavailableError, at its deadline', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket)); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const port = (silent.address() as net.AddressInfo).port;
    const connectionString = azurite.connectionString.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`);
    const error = await createStorage(
      { storage: 'blob', dataDir: '/nowhere', blob: { connectionString, container: 'never' } },
      'bot',
      { callTimeoutMs: 300 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).message).toMatch(/no answer from blob storage within 300 ms/);
  });

  it('should count a write whose answer was lost as done when the retry meets it', async () => {
    const store = await blobStore('bot', 'lost-answers');
    const target = new URL(azurite.blobEndpoint);
    let dropped = 0;
    // A loopback hop that passes every request on, but hangs up on the first two conditional
    // PUTs after Azure has stored them: the client sees a reset and its SDK tries again.
    const hop = http.createServer((req, res) => {
      const upstream = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          const conditional = req.headers['if-none-match'] || req.headers['if-match'];
          if (req.method === 'PUT' && conditional && dropped < 2) {
            dropped++;
            answer.resume();
            answer.on('end', () => req.socket.destroy());
            return;
          }
          res.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => hop.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => hop.close(() => resolve())));
    const port = (hop.address() as net.AddressInfo).port;
    const connectionString = azurite.connectionString.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`);
    const viaHop = await createStorage(
      { storage: 'blob', dataDir: '/nowhere', blob: { connectionString, container: 'lost-answers' } },
      'bot',
      { retry: { maxTries: 3, retryDelayInMs: 20, maxRetryDelayInMs: 50 } },
    );
    await viaHop.write({ 'k/created': { v: 1, eTag: IF_NONE_MATCH } });
    const eTag = (await store.read(['k/created']))['k/created'].eTag!;
    await viaHop.write({ 'k/created': { v: 2, eTag } });
    expect(dropped).toBe(2);
    expect((await store.read(['k/created']))['k/created'].v).toBe(2);
    // A real conflict through the same hop is still one.
    await expect(viaHop.write({ 'k/created': { v: 3, eTag } })).rejects.toBeInstanceOf(EtagConflictError);
  });

  describe('signed in by account URL and a token (a managed identity)', () => {
    let secure: Azurite;
    let cert: string;

    beforeAll(async () => {
      // The project's loopback test certificate (self-signed for 127.0.0.1), shared with the Azure ML tests.
      const certificate = ensureTestCertificate();
      cert = certificate.certPath;
      secure = await startAzurite({ tls: { cert, key: certificate.keyPath }, oauth: true });
    });

    afterAll(async () => {
      await secure?.dispose();
    });

    function open(kind: 'valid' | 'expired'): Promise<{ ok: boolean; [fact: string]: unknown }> {
      const output = execFileSync(
        process.execPath,
        ['--import', 'tsx', path.join(__dirname, 'fixtures/blobTokenWorker.ts'), secure.blobEndpoint, 'by-token', kind],
        { cwd: path.resolve(__dirname, '../..'), env: { ...process.env, NODE_EXTRA_CA_CERTS: cert }, timeout: 60_000 },
      );
      return Promise.resolve(JSON.parse(output.toString().trim().split('\n').pop()!));
    }

    it('should ask the identity for a storage token and work with it', async () => {
      const result = await open('valid');
      expect(result).toEqual({
        ok: true,
        found: { 'k/a': { v: 1, eTag: expect.any(String) } },
        scopes: expect.arrayContaining(['https://storage.azure.com/.default']),
      });
    });

    it('should refuse to start with a token the service rejects, and name the role to check', async () => {
      const result = await open('expired');
      expect(result).toMatchObject({ ok: false, name: 'StorageUnavailableError' });
      expect(result.message).toMatch(/refused access \(40[13]/);
      expect(result.message).toMatch(/Storage Blob Data Contributor/);
    });
  });
});
