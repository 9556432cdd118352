/**
 * FileStorage: the shared contract, then what only a folder on disk has: several processes on one
 * data folder, writers killed at any point, and housekeeping that keeps a key's folder small
 * however often it is written (counted in files, not timed).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Collection } from '../../src/storage/collection';
import { FileStorage } from '../../src/storage/fileStorage';
import { EtagConflictError, IF_NONE_MATCH, InvalidKeyError, StorageUnavailableError } from '../../src/storage/storage';
import { describeStorageContract } from './contract';

const ROOT = path.resolve(__dirname, '../..');
const WORKER = path.join(__dirname, 'fixtures/storageWorker.ts');
const tmpDirs: string[] = [];

async function tmpDir(): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'storage-test-'));
  tmpDirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => fsp.rm(d, { recursive: true, force: true })));
});

describeStorageContract('FileStorage', { make: async () => new FileStorage(await tmpDir()) });

/** Every file and folder under `dir`, as paths relative to it. */
async function tree(dir: string): Promise<string[]> {
  const entries = await fsp.readdir(dir, { recursive: true });
  return entries.map(String).sort();
}

describe('FileStorage on disk', () => {
  const children: ChildProcess[] = [];

  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    vi.restoreAllMocks();
  });

  function worker(args: string[]) {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const lines = createInterface({ input: child.stdout! });
    const ready = new Promise<void>((resolve) => lines.once('line', () => resolve()));
    const out: string[] = [];
    lines.on('line', (l) => out.push(l));
    const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
      child.on('exit', (code) => resolve({ code, stderr })),
    );
    return { child, ready, out, exited, go: () => child.stdin!.write('go\n') };
  }

  /** Starts workers, waits until each is ready, then lets them all go at once. */
  async function race(argsList: string[][]): Promise<string[]> {
    const workers = argsList.map(worker);
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.go();
    return Promise.all(
      workers.map(async (w) => {
        const { code, stderr } = await w.exited;
        if (code !== 0) throw new Error(`worker exited ${code}: ${stderr}`);
        return w.out.slice(1).join('\n');
      }),
    );
  }

  it('should lose no update when 4 processes each increment one key 50 times', async () => {
    const dir = await tmpDir();
    await race(Array.from({ length: 4 }, () => ['increment', dir, 'shared', '50']));
    const counters = new Collection<{ count: number }>(new FileStorage(dir), 'counters');
    expect((await counters.get('shared'))?.count).toBe(200);
    expect(await fsp.readdir(path.join(dir, 'counters', 'shared.k'))).toHaveLength(1);
  }, 60_000);

  it('should let exactly one of two processes win each create-only write', async () => {
    const dir = await tmpDir();
    const ids = Array.from({ length: 30 }, (_, i) => `claim-${i}`);
    const outputs = await race([
      ['create', dir, ...ids],
      ['create', dir, ...ids],
    ]);
    const won = outputs.map((o) => JSON.parse(/won (.*)/.exec(o)![1]) as string[]);
    // Every id has exactly one winner: no id won twice, none lost by both.
    expect([...won[0], ...won[1]].sort()).toEqual([...ids].sort());
    const storage = new FileStorage(dir);
    expect(await storage.list('claims/')).toHaveLength(30);
  }, 30_000);

  it('should block nobody and lose no finished update when writers are killed with SIGKILL mid-way', async () => {
    const dir = await tmpDir();
    const counters = new Collection<{ count: number }>(new FileStorage(dir), 'counters');
    let done = 0;
    for (let round = 0; round < 3; round++) {
      const hammers = [worker(['hammer', dir, 'k']), worker(['hammer', dir, 'k'])];
      await Promise.all(hammers.map((h) => h.ready));
      for (const h of hammers) h.go();
      // Let each finish some increments, then kill it wherever it is.
      await Promise.all(
        hammers.map(async (h) => {
          await expect
            .poll(() => h.out.length, { interval: 5, timeout: 20_000 })
            .toBeGreaterThanOrEqual(1 + 20 + round * 7);
          h.child.kill('SIGKILL');
          await h.exited;
          done += h.out.length - 1;
        }),
      );
      // Every increment a killed process reported is stored; at most its one unfinished one as well.
      const stored = (await counters.get('k'))!.count;
      expect(stored).toBeGreaterThanOrEqual(done);
      expect(stored).toBeLessThanOrEqual(done + 2);
      done = stored;
      // Nothing they left behind stops the next writer.
      await counters.update('k', (c) => ({ count: c!.count + 1 }));
      done += 1;
      expect((await counters.get('k'))!.count).toBe(done);
      expect((await fsp.readdir(path.join(dir, 'counters', 'k.k'))).length).toBeLessThanOrEqual(2);
    }
  }, 60_000);

  it('should refuse a stale conditional write even after the key moved on several versions', async () => {
    // Writer A holds the first eTag and stalls after writing its candidate (a slow disk, a GC
    // pause). Meanwhile B writes three times. A's eTag is stale: its write must fail, not land.
    const dir = await tmpDir();
    const a = new FileStorage(dir);
    const b = new FileStorage(dir);
    await a.write({ 'k/x': { writer: 'first' } });
    const eTag = (await a.read(['k/x']))['k/x'].eTag!;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let stallStarted!: () => void;
    const stalling = new Promise<void>((resolve) => (stallStarted = resolve));
    const realWriteFile = fsp.writeFile.bind(fsp);
    let stalled = false;
    vi.spyOn(fsp, 'writeFile').mockImplementation(async (...args: Parameters<typeof fsp.writeFile>) => {
      const written = await realWriteFile(...args);
      if (!stalled && String(args[0]).endsWith('.cand')) {
        stalled = true;
        stallStarted();
        await gate;
      }
      return written;
    });
    const stale = a.write({ 'k/x': { writer: 'A', eTag } });
    await stalling;
    for (const n of [2, 3, 4]) await b.write({ 'k/x': { writer: `B${n}` } });
    release();
    const outcome = await stale.then(
      () => 'written',
      (error: unknown) => (error instanceof EtagConflictError ? 'conflict' : String(error)),
    );
    expect({ outcome, writer: (await b.read(['k/x']))['k/x'].writer }).toEqual({ outcome: 'conflict', writer: 'B4' });
    expect(await fsp.readdir(path.join(dir, 'k', 'x.k'))).toHaveLength(1);
  });

  it('should ignore temp files that a killed writer left behind', async () => {
    const dir = await tmpDir();
    const storage = new FileStorage(dir);
    await storage.write({ 'k/a': { v: 1 } });
    await fsp.writeFile(path.join(dir, 'k', 'a.k', '.tmp-left-by-kill-9'), '{"v":');
    expect((await storage.read(['k/a']))['k/a'].v).toBe(1);
    const eTag = (await storage.read(['k/a']))['k/a'].eTag!;
    await storage.write({ 'k/a': { v: 2, eTag } });
    expect((await storage.read(['k/a']))['k/a'].v).toBe(2);
    expect(await storage.list('k/')).toEqual(['k/a']);
  });

  it('should finish a replace whose writer was killed between its commit and its publish', async () => {
    const dir = await tmpDir();
    const storage = new FileStorage(dir);
    await storage.write({ 'k/half': { v: 1 } });
    const folder = path.join(dir, 'k', 'half.k');
    const [current] = await fsp.readdir(folder);
    // What a writer leaves after step 2 (the commit rename) when it dies before step 3.
    const id = 'a1b2c3d4e5f60718';
    await fsp.writeFile(path.join(folder, `2-${id}.cand`), JSON.stringify({ v: 2 }));
    await fsp.rename(path.join(folder, current), path.join(folder, `${current.replace('.json', '')}.to-${id}`));
    const seen = (await storage.read(['k/half']))['k/half'];
    expect(seen).toEqual({ v: 2, eTag: `2-${id}` });
    await storage.write({ 'k/half': { v: 3, eTag: seen.eTag } });
    expect((await storage.read(['k/half']))['k/half'].v).toBe(3);
    expect(await fsp.readdir(folder)).toHaveLength(1);
  });

  it('should keep a key folder at one file however often the key is written', async () => {
    const dir = await tmpDir();
    const storage = new FileStorage(dir);
    const counters = new Collection<{ count: number }>(storage, 'counters');
    for (let i = 0; i < 1200; i++) {
      if (i % 2) await counters.update('hot', (c) => ({ count: (c?.count ?? 0) + 1 }));
      else await storage.write({ 'counters/hot': { count: i } });
    }
    expect((await counters.get('hot'))?.count).toBe(1199);
    expect(await tree(dir)).toEqual([
      '.staging',
      'counters',
      'counters/hot.k',
      expect.stringMatching(/^counters\/hot\.k\/\d+-[0-9a-f]{16}\.json$/),
    ]);
  }, 60_000);

  it('should remove the folders of deleted keys, and their parents once empty', async () => {
    const dir = await tmpDir();
    const storage = new FileStorage(dir);
    const keys = Array.from({ length: 50 }, (_, i) => `gone/k${i}`);
    for (const key of keys) await storage.write({ [key]: { key } });
    await storage.write({ 'stays/k': { v: 1 } });
    for (const key of keys.slice(0, 25)) await storage.delete([key]);
    expect((await fsp.readdir(path.join(dir, 'gone'))).length).toBe(25);
    await storage.delete(keys.slice(25));
    expect(await tree(dir)).toEqual(['.staging', 'stays', 'stays/k.k', expect.stringMatching(/^stays\/k\.k\/1-/)]);
    // A key deleted and created again starts afresh.
    await storage.write({ [keys[0]]: { v: 2, eTag: IF_NONE_MATCH } });
    expect(await storage.list('gone/')).toEqual([keys[0]]);
  });

  it('should clear the folder of a delete whose process was killed before it removed the folder', async () => {
    const dir = await tmpDir();
    const storage = new FileStorage(dir);
    await storage.write({ 'k/a': { v: 1 }, 'k/b': { v: 1 } });
    const folder = path.join(dir, 'k', 'a.k');
    const [current] = await fsp.readdir(folder);
    await fsp.rename(path.join(folder, current), path.join(folder, current.replace('.json', '.deleted'))); // the delete's commit
    expect(await storage.list('k/')).toEqual(['k/b']);
    expect(await fsp.readdir(path.join(dir, 'k'))).toEqual(['b.k']);
  });

  it('should remove staging folders a killed creator left, once their grace time has passed', async () => {
    const dir = await tmpDir();
    let now = Date.now();
    const storage = new FileStorage(dir, { now: () => now, stagingGraceMs: 60_000 });
    await storage.write({ 'k/first': { v: 1 } });
    const left = path.join(dir, '.staging', 'left-by-kill-9');
    await fsp.mkdir(left, { recursive: true });
    await fsp.writeFile(path.join(left, '1-0000000000000000.json'), '{}');
    await storage.write({ 'k/second': { v: 1 } }); // within the grace time: a creator may still be at work
    expect(await fsp.readdir(path.join(dir, '.staging'))).toEqual(['left-by-kill-9']);
    now += 61_000;
    await storage.write({ 'k/third': { v: 1 } });
    for (let i = 0; i < 200 && (await fsp.readdir(path.join(dir, '.staging'))).length > 0; i++)
      await new Promise((r) => setTimeout(r, 10)); // the sweep runs beside the write
    expect(await fsp.readdir(path.join(dir, '.staging'))).toEqual([]);
  });

  it('should read and convert a key written by the earlier layout (numbered versions)', async () => {
    const dir = await tmpDir();
    const folder = path.join(dir, 'runtimes', 'chat%2Edev.k');
    await fsp.mkdir(folder, { recursive: true });
    await fsp.writeFile(path.join(folder, '6.json'), '');
    await fsp.writeFile(path.join(folder, '7.json'), JSON.stringify({ name: 'chat.dev', v: 7 }));
    const deleted = path.join(dir, 'runtimes', 'old.k');
    await fsp.mkdir(deleted);
    await fsp.writeFile(path.join(deleted, '3.json'), '');
    await fsp.writeFile(path.join(deleted, '4.del'), '');
    const storage = new FileStorage(dir);
    expect(await storage.list('runtimes/')).toEqual(['runtimes/chat.dev']);
    const found = (await storage.read(['runtimes/chat.dev']))['runtimes/chat.dev'];
    expect(found).toMatchObject({ name: 'chat.dev', v: 7 });
    await storage.write({ 'runtimes/chat.dev': { name: 'chat.dev', v: 8, eTag: found.eTag } });
    expect((await storage.read(['runtimes/chat.dev']))['runtimes/chat.dev'].v).toBe(8);
    expect(await fsp.readdir(folder)).toHaveLength(1);
    await storage.write({ 'runtimes/old': { v: 1, eTag: IF_NONE_MATCH } });
    expect(await storage.list('runtimes/')).toEqual(['runtimes/chat.dev', 'runtimes/old']);
  });

  it('should keep every file inside its root, whatever the key', async () => {
    const dir = await tmpDir();
    const root = path.join(dir, 'root');
    const storage = new FileStorage(root);
    await storage.write({ '../escape': { v: 1 }, '..': { v: 1 }, 'a/../../b': { v: 1 } });
    expect(await fsp.readdir(dir)).toEqual(['root']);
  });

  it('should refuse a key segment too long for a file name, before writing anything', async () => {
    const dir = await tmpDir();
    const storage = new FileStorage(dir);
    await expect(storage.write({ [`k/${'日'.repeat(40)}`]: { v: 1 } })).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(storage.read([`k/${'x'.repeat(300)}`])).rejects.toThrow(/at most 253/);
    expect(await fsp.readdir(dir)).toEqual([]);
  });

  it.each(['ENOSPC', 'EIO', 'EROFS', 'EMFILE'])(
    'should report %s from the disk as StorageUnavailableError, and lose nothing',
    async (code) => {
      const dir = await tmpDir();
      const storage = new FileStorage(dir);
      await storage.write({ 'k/a': { v: 1 } });
      const eTag = (await storage.read(['k/a']))['k/a'].eTag!;
      const realWriteFile = fsp.writeFile.bind(fsp);
      const spy = vi.spyOn(fsp, 'writeFile').mockImplementation(async () => {
        throw Object.assign(new Error(`${code}: the disk said no`), { code });
      });
      const error = await storage.write({ 'k/a': { v: 2, eTag } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageUnavailableError);
      spy.mockImplementation(realWriteFile);
      expect((await storage.read(['k/a']))['k/a']).toEqual({ v: 1, eTag });
      await storage.write({ 'k/a': { v: 2, eTag } });
      expect((await storage.read(['k/a']))['k/a'].v).toBe(2);
    },
  );
});
