import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Collection, UNCHANGED } from '../../src/storage/collection';
import { FileStorage } from '../../src/storage/fileStorage';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import { EtagConflictError, IF_NONE_MATCH, type Storage } from '../../src/storage/storage';

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

const backends: [string, () => Promise<Storage>][] = [
  ['MemoryStorage', async () => new MemoryStorage()],
  ['FileStorage', async () => new FileStorage(await tmpDir())],
];

describe.each(backends)('%s contract', (_name, make) => {
  let storage: Storage;

  beforeEach(async () => {
    storage = await make();
  });

  describe('read and write', () => {
    it('should read back what it wrote, with an eTag', async () => {
      await storage.write({ 'runtimes/a': { name: 'a', n: 1, nested: { list: [1, 'x'] } } });
      const found = await storage.read(['runtimes/a']);
      expect(found['runtimes/a']).toEqual({ name: 'a', n: 1, nested: { list: [1, 'x'] }, eTag: expect.any(String) });
    });

    it('should leave out missing keys and return the ones that exist', async () => {
      await storage.write({ 'k/one': { v: 1 }, 'k/two': { v: 2 } });
      const found = await storage.read(['k/one', 'k/missing', 'k/two']);
      expect(Object.keys(found).sort()).toEqual(['k/one', 'k/two']);
      expect(await storage.read(['nothing/here'])).toEqual({});
    });

    it('should store a copy: changing the written or read object changes nothing stored', async () => {
      const item = { list: [1] };
      await storage.write({ 'k/copy': item });
      item.list.push(2);
      const first = await storage.read(['k/copy']);
      (first['k/copy'].list as number[]).push(3);
      expect((await storage.read(['k/copy']))['k/copy'].list).toEqual([1]);
    });

    it('should not store the eTag inside the item', async () => {
      await storage.write({ 'k/e': { v: 1, eTag: '*' } });
      const { eTag, ...body } = (await storage.read(['k/e']))['k/e'];
      expect(body).toEqual({ v: 1 });
      expect(eTag).not.toBe('*');
    });

    it.each([undefined, '*'])('should overwrite unconditionally with eTag %j', async (eTag) => {
      await storage.write({ 'k/u': { v: 1 } });
      await storage.write({ 'k/u': { v: 2, ...(eTag ? { eTag } : {}) } });
      expect((await storage.read(['k/u']))['k/u'].v).toBe(2);
    });

    it('should give every write a new eTag', async () => {
      const tags = new Set<string>();
      for (let i = 0; i < 5; i++) {
        await storage.write({ 'k/t': { i } });
        tags.add(String((await storage.read(['k/t']))['k/t'].eTag));
      }
      expect(tags.size).toBe(5);
    });
  });

  describe('conditional writes', () => {
    it('should write when the eTag matches and refuse a stale one', async () => {
      await storage.write({ 'k/c': { v: 1 } });
      const first = (await storage.read(['k/c']))['k/c'].eTag!;
      await storage.write({ 'k/c': { v: 2, eTag: first } });
      await expect(storage.write({ 'k/c': { v: 3, eTag: first } })).rejects.toBeInstanceOf(EtagConflictError);
      expect((await storage.read(['k/c']))['k/c'].v).toBe(2);
    });

    it('should refuse a conditional write to a key that does not exist', async () => {
      await expect(storage.write({ 'k/none': { v: 1, eTag: '1' } })).rejects.toBeInstanceOf(EtagConflictError);
      expect(await storage.read(['k/none'])).toEqual({});
    });

    it('should create with IF_NONE_MATCH only when the key is absent', async () => {
      await storage.write({ 'k/once': { v: 1, eTag: IF_NONE_MATCH } });
      await expect(storage.write({ 'k/once': { v: 2, eTag: IF_NONE_MATCH } })).rejects.toBeInstanceOf(
        EtagConflictError,
      );
      expect((await storage.read(['k/once']))['k/once'].v).toBe(1);
    });

    it('should allow IF_NONE_MATCH again after a delete', async () => {
      await storage.write({ 'k/again': { v: 1, eTag: IF_NONE_MATCH } });
      await storage.delete(['k/again']);
      await storage.write({ 'k/again': { v: 2, eTag: IF_NONE_MATCH } });
      expect((await storage.read(['k/again']))['k/again'].v).toBe(2);
    });

    it('should never repeat an eTag for a key, even across delete and re-create', async () => {
      const seen: string[] = [];
      const tag = async () => seen.push(String((await storage.read(['k/r']))['k/r'].eTag));
      await storage.write({ 'k/r': { v: 1 } });
      await tag();
      await storage.delete(['k/r']);
      await storage.write({ 'k/r': { v: 1 } }); // the very same body
      await tag();
      await storage.delete(['k/r']);
      await storage.write({ 'k/r': { v: 1, eTag: IF_NONE_MATCH } });
      await tag();
      expect(new Set(seen).size).toBe(3);
      // So a client holding the first eTag cannot overwrite the re-created item by accident.
      await expect(storage.write({ 'k/r': { v: 9, eTag: seen[0] } })).rejects.toBeInstanceOf(EtagConflictError);
      await expect(storage.write({ 'k/r': { v: 9, eTag: seen[1] } })).rejects.toBeInstanceOf(EtagConflictError);
    });
  });

  describe('delete', () => {
    it('should remove the key from reads and lists', async () => {
      await storage.write({ 'd/a': { v: 1 }, 'd/b': { v: 2 } });
      await storage.delete(['d/a']);
      expect(await storage.read(['d/a', 'd/b'])).toEqual({ 'd/b': expect.objectContaining({ v: 2 }) });
      expect(await storage.list('d/')).toEqual(['d/b']);
    });

    it('should do nothing for a key that does not exist', async () => {
      await expect(storage.delete(['d/never'])).resolves.toBeUndefined();
      await storage.write({ 'd/x': { v: 1 } });
      await storage.delete(['d/x']);
      await expect(storage.delete(['d/x'])).resolves.toBeUndefined();
    });
  });

  describe('list', () => {
    beforeEach(async () => {
      await storage.write({
        'runtimes/chat-dev': { v: 1 },
        'runtimes/chat-prod': { v: 1 },
        'runtimes/rag': { v: 1 },
        'runtimes-meta/x': { v: 1 },
        'operations/1': { v: 1 },
        'runtimes/deep/child': { v: 1 },
      });
    });

    it('should list the keys under a folder, sorted, without deeper keys or sibling folders', async () => {
      expect(await storage.list('runtimes/')).toEqual(['runtimes/chat-dev', 'runtimes/chat-prod', 'runtimes/rag']);
    });

    it('should filter by the start of the last segment', async () => {
      expect(await storage.list('runtimes/chat')).toEqual(['runtimes/chat-dev', 'runtimes/chat-prod']);
      expect(await storage.list('runtimes/zzz')).toEqual([]);
    });

    it('should list nothing under an unknown prefix', async () => {
      expect(await storage.list('nothing/')).toEqual([]);
    });

    it('should round-trip keys with characters that mean something to a file system', async () => {
      const odd = ['odd/..', 'odd/.', 'odd/a b', 'odd/ümlaut', 'odd/%2F', 'odd/a.json', 'odd/CON'];
      for (const key of odd) await storage.write({ [key]: { key } });
      expect(await storage.list('odd/')).toEqual([...odd].sort());
      const found = await storage.read(odd);
      for (const key of odd) expect(found[key].key).toBe(key);
    });
  });

  describe('Collection', () => {
    it('should count every one of 20 concurrent increments', async () => {
      const counters = new Collection<{ count: number }>(storage, 'counters');
      await Promise.all(
        Array.from({ length: 20 }, () => counters.update('c', (c) => ({ count: (c?.count ?? 0) + 1 }))),
      );
      expect((await counters.get('c'))?.count).toBe(20);
    });

    it('should leave the record alone when the mutator returns UNCHANGED or undefined', async () => {
      const things = new Collection<{ v: number }>(storage, 'things');
      await things.put('a', { v: 1 });
      const before = (await things.get('a'))!.eTag;
      expect(await things.update('a', () => UNCHANGED)).toEqual({ v: 1 });
      expect(await things.update('missing', () => undefined)).toBeUndefined();
      expect((await things.get('a'))!.eTag).toBe(before);
      expect(await things.ids()).toEqual(['a']);
    });

    it('should refuse to create a record twice', async () => {
      const things = new Collection<{ v: number }>(storage, 'things');
      await things.create('a', { v: 1 });
      await expect(things.create('a', { v: 2 })).rejects.toBeInstanceOf(EtagConflictError);
    });

    it.each(['', 'a/b', '../x'])('should refuse the id %j, which would leave its prefix', async (id) => {
      const things = new Collection<{ v: number }>(storage, 'things');
      // A coded bad request, so an HTTP edge answers 400 rather than 500.
      await expect(things.get(id)).rejects.toMatchObject({ name: 'InvalidIdError', code: 'bad_request' });
      await expect(things.put(id, { v: 1 })).rejects.toThrow(
        /is not a valid name: a name must not be empty or contain "\/"/,
      );
    });
  });
});

describe('FileStorage on disk', () => {
  const children: ChildProcess[] = [];

  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    vi.restoreAllMocks();
  });

  /** Starts workers, waits until each is ready, then lets them all go at once. */
  async function race(argsList: string[][]): Promise<string[]> {
    const outputs = argsList.map((args) => {
      const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      children.push(child);
      let stderr = '';
      child.stderr!.on('data', (d) => {
        stderr += d;
      });
      const lines = createInterface({ input: child.stdout! });
      const ready = new Promise<void>((resolve) => lines.once('line', () => resolve()));
      const finished = new Promise<string>((resolve, reject) => {
        const out: string[] = [];
        lines.on('line', (l) => out.push(l));
        child.on('exit', (code) =>
          code === 0 ? resolve(out.join('\n')) : reject(new Error(`worker exited ${code}: ${stderr}`)),
        );
      });
      return { child, ready, finished };
    });
    await Promise.all(outputs.map((o) => o.ready));
    for (const o of outputs) o.child.stdin!.write('go\n');
    return Promise.all(outputs.map((o) => o.finished));
  }

  it('should lose no update when 4 processes each increment one key 50 times', async () => {
    const dir = await tmpDir();
    await race(Array.from({ length: 4 }, () => ['increment', dir, 'shared', '50']));
    const counters = new Collection<{ count: number }>(new FileStorage(dir), 'counters');
    expect((await counters.get('shared'))?.count).toBe(200);
  }, 45_000);

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

  it('should keep every file inside its root, whatever the key', async () => {
    const dir = await tmpDir();
    const root = path.join(dir, 'root');
    const storage = new FileStorage(root);
    await storage.write({ '../escape': { v: 1 }, '..': { v: 1 }, 'a/../../b': { v: 1 } });
    expect(await fsp.readdir(dir)).toEqual(['root']);
  });

  it('should refuse a stale conditional write even when the version it would take was pruned', async () => {
    // Writer A reads version 1 and stalls before linking version 2 (a slow disk, a GC pause).
    // Meanwhile B writes versions 2, 3 and 4; pruning keeps the newest two, so 2.json is removed
    // and the name is free again. A's eTag "1" is stale: its write must fail, not vanish silently.
    const dir = await tmpDir();
    const a = new FileStorage(dir);
    const b = new FileStorage(dir);
    await a.write({ 'k/x': { writer: 'first' } });
    const eTag = (await a.read(['k/x']))['k/x'].eTag!;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const realWriteFile = fsp.writeFile.bind(fsp);
    let stalled = false;
    let stallStarted!: () => void;
    const stalling = new Promise<void>((resolve) => {
      stallStarted = resolve;
    });
    vi.spyOn(fsp, 'writeFile').mockImplementation(async (...args: Parameters<typeof fsp.writeFile>) => {
      if (!stalled && String(args[0]).includes('.tmp-')) {
        stalled = true;
        stallStarted();
        await gate;
      }
      return realWriteFile(...args);
    });
    const stale = a.write({ 'k/x': { writer: 'A', eTag } });
    await stalling;
    for (const n of [2, 3, 4]) await b.write({ 'k/x': { writer: `B${n}` } });
    // Pruning runs in the background after each write; wait until version 2 is gone.
    const versionDir = path.join(dir, 'k', 'x.k');
    for (let i = 0; i < 100 && (await fsp.readdir(versionDir)).includes('2.json'); i++)
      await new Promise((r) => setTimeout(r, 10));
    release();
    const outcome = await stale.then(
      () => 'written',
      (error: unknown) => (error instanceof EtagConflictError ? 'conflict' : String(error)),
    );
    const stored = (await b.read(['k/x']))['k/x'];
    // Either A is told about the conflict, or its write is what readers see; never a silent loss.
    expect({ outcome, writer: stored.writer }).toEqual({ outcome: 'conflict', writer: 'B4' });
  });
});
