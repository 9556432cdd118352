/**
 * The Storage contract, run against every backend (memoryStorage, fileStorage and blobStorage
 * test files): the eTag rules, races between writers, delete, list (paging, order, hostile keys)
 * and, where a backend can be taken away, what an outage looks like and that nothing is lost.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { Collection, UNCHANGED } from '../../src/storage/collection';
import { EtagConflictError, IF_NONE_MATCH, type Storage, StorageUnavailableError } from '../../src/storage/storage';

export interface ContractSetup {
  /** A fresh, empty store. */
  make: () => Promise<Storage>;
  /** Takes the backend away and brings it back with its data (a stopped server), when it can. */
  outage?: { begin: () => Promise<void>; end: () => Promise<void> };
}

/** Keys that mean something to a file system, a URL or a blob service, and must still round-trip. */
export const HOSTILE_KEYS = [
  'odd/..',
  'odd/.',
  'odd/a.',
  'odd/a..',
  'odd/a b',
  'odd/ ',
  'odd/ümlaut',
  'odd/日本語',
  'odd/emoji-😀',
  'odd/%2F',
  'odd/%',
  'odd/%%41',
  'odd/~7E',
  'odd/~',
  'odd/a.json',
  'odd/CON',
  'odd/back\\slash',
  'odd/tab\tnew\nline\r',
  'odd/nul\u0000bell\u0007del\u007f',
  'odd/?q=1&x=2#frag',
  'odd/+plus;semi,comma:colon@at=eq',
  `odd/quote'double"`,
  'odd/<tag>|pipe*star',
  'odd/\u00a0nbsp\u200bzero-width',
  'odd/e\u0301', // e + combining accent: must not be normalised into é
  'odd/é',
  `odd/${'x'.repeat(200)}`,
];

/** Keys whose JavaScript order differs from the byte order of most encodings. */
const ORDER_KEYS = ['B', 'a', 'a-x', 'a.x', 'a_x', 'a~x', 'a10', 'a9', 'aé', 'az', 'Z', '~', '_', '-', '0'];

export function describeStorageContract(name: string, setup: ContractSetup): void {
  describe(`${name} contract`, () => {
    let storage: Storage;

    beforeEach(async () => {
      storage = await setup.make();
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

      it('should keep unicode, escapes and a large body intact', async () => {
        const body = { text: 'ü 日本 😀 "quoted" \\ \u0000 </xml>', big: 'y'.repeat(200_000) };
        await storage.write({ 'k/body': body });
        expect((await storage.read(['k/body']))['k/body']).toEqual({ ...body, eTag: expect.any(String) });
      });

      it.each([undefined, '*'])('should overwrite unconditionally with eTag %j', async (eTag) => {
        await storage.write({ 'k/u': { v: 1 } });
        await storage.write({ 'k/u': { v: 2, ...(eTag ? { eTag } : {}) } });
        expect((await storage.read(['k/u']))['k/u'].v).toBe(2);
      });

      it('should give every write a new eTag, and the same eTag to every read in between', async () => {
        const tags = new Set<string>();
        for (let i = 0; i < 5; i++) {
          await storage.write({ 'k/t': { i } });
          const [a, b] = [await storage.read(['k/t']), await storage.read(['k/t'])];
          expect(a['k/t'].eTag).toBe(b['k/t'].eTag);
          tags.add(String(a['k/t'].eTag));
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

      it.each(['', 'bogus', '"quoted"', '0x8DC0000000000000', '../../x', 'a b', 'ü'])(
        'should refuse the eTag %j, which it never gave out, without changing anything',
        async (eTag) => {
          await storage.write({ 'k/g': { v: 1 } });
          await expect(storage.write({ 'k/g': { v: 2, eTag } })).rejects.toBeInstanceOf(EtagConflictError);
          expect((await storage.read(['k/g']))['k/g'].v).toBe(1);
        },
      );

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

    describe('races', () => {
      const WRITERS = 8;

      it(`should let exactly one of ${WRITERS} concurrent create-only writes win, and keep its body`, async () => {
        for (let round = 0; round < 3; round++) {
          const key = `claims/c${round}`;
          const outcomes = await Promise.allSettled(
            Array.from({ length: WRITERS }, (_, w) => storage.write({ [key]: { w, eTag: IF_NONE_MATCH } })),
          );
          const won = outcomes.flatMap((o, w) => (o.status === 'fulfilled' ? [w] : []));
          expect(won).toHaveLength(1);
          for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(EtagConflictError);
          expect((await storage.read([key]))[key].w).toBe(won[0]);
        }
      });

      it(`should let exactly one of ${WRITERS} writers holding the same eTag win, round after round`, async () => {
        await storage.write({ 'k/cas': { round: -1 } });
        for (let round = 0; round < 4; round++) {
          const eTag = (await storage.read(['k/cas']))['k/cas'].eTag!;
          const outcomes = await Promise.allSettled(
            Array.from({ length: WRITERS }, (_, w) => storage.write({ 'k/cas': { round, w, eTag } })),
          );
          const won = outcomes.flatMap((o, w) => (o.status === 'fulfilled' ? [w] : []));
          expect(won).toHaveLength(1);
          for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(EtagConflictError);
          const stored = (await storage.read(['k/cas']))['k/cas'];
          expect({ round: stored.round, w: stored.w }).toEqual({ round, w: won[0] });
          expect(stored.eTag).not.toBe(eTag);
        }
      });

      it('should let a delete and a conditional write race without losing either outcome', async () => {
        await storage.write({ 'k/dw': { v: 1 } });
        const eTag = (await storage.read(['k/dw']))['k/dw'].eTag!;
        const [written] = await Promise.allSettled([
          storage.write({ 'k/dw': { v: 2, eTag } }),
          storage.delete(['k/dw']),
        ]);
        const after = await storage.read(['k/dw']);
        // Either the write came first and the delete removed it, or the delete came first and the
        // write lost: the key is gone in both orders, and a failed write says why.
        expect(after).toEqual({});
        if (written.status === 'rejected') expect(written.reason).toBeInstanceOf(EtagConflictError);
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

      it('should delete several keys at once', async () => {
        await storage.write({ 'd/1': { v: 1 }, 'd/2': { v: 2 }, 'd/3': { v: 3 } });
        await storage.delete(['d/1', 'd/3', 'd/missing']);
        expect(await storage.list('d/')).toEqual(['d/2']);
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
          top: { v: 1 },
        });
      });

      it('should list the keys under a folder, sorted, without deeper keys or sibling folders', async () => {
        expect(await storage.list('runtimes/')).toEqual(['runtimes/chat-dev', 'runtimes/chat-prod', 'runtimes/rag']);
        expect(await storage.list('runtimes/deep/')).toEqual(['runtimes/deep/child']);
      });

      it('should filter by the start of the last segment', async () => {
        expect(await storage.list('runtimes/chat')).toEqual(['runtimes/chat-dev', 'runtimes/chat-prod']);
        expect(await storage.list('runtimes/zzz')).toEqual([]);
        expect(await storage.list('to')).toEqual(['top']);
      });

      it('should list nothing under an unknown or impossible prefix', async () => {
        expect(await storage.list('nothing/')).toEqual([]);
        expect(await storage.list('runtimes//')).toEqual([]);
      });

      it('should list every key of a folder that takes several pages', async () => {
        const keys = Array.from({ length: 23 }, (_, i) => `paged/k${String(i).padStart(2, '0')}`);
        await Promise.all(keys.map((key) => storage.write({ [key]: { key } })));
        await storage.write({ 'paged/deeper/x': { v: 1 }, 'paged-not/x': { v: 1 } });
        expect(await storage.list('paged/')).toEqual(keys);
        expect(await storage.list('paged/k1')).toEqual(keys.slice(10, 20));
      });

      it('should return keys in JavaScript string order, whatever their characters', async () => {
        const keys = ORDER_KEYS.map((k) => `order/${k}`);
        for (const key of keys) await storage.write({ [key]: { key } });
        expect(await storage.list('order/')).toEqual([...keys].sort());
        expect(await storage.list('order/a')).toEqual(keys.filter((k) => k.startsWith('order/a')).sort());
      });

      it('should round-trip keys with characters that mean something to a file system, a URL or a blob name', async () => {
        for (const key of HOSTILE_KEYS) await storage.write({ [key]: { key } });
        expect(await storage.list('odd/')).toEqual([...HOSTILE_KEYS].sort());
        const found = await storage.read(HOSTILE_KEYS);
        for (const key of HOSTILE_KEYS) expect(found[key].key).toBe(key);
        expect(await storage.list('odd/%')).toEqual(['odd/%', 'odd/%%41', 'odd/%2F']);
        expect(await storage.list('odd/e')).toEqual(['odd/emoji-😀', 'odd/e\u0301']);
        await storage.delete(HOSTILE_KEYS);
        expect(await storage.list('odd/')).toEqual([]);
      });

      it('should keep hostile characters in folder segments apart from the key they name', async () => {
        const keys = ['a.b/x', 'a%2Fb/x', 'a/b/x', '../x', 'ü/x'];
        for (const key of keys) await storage.write({ [key]: { key } });
        for (const key of keys) expect(await storage.list(`${key.slice(0, key.lastIndexOf('/'))}/`)).toEqual([key]);
      });
    });

    describe('Collection', () => {
      it('should count every one of 20 concurrent increments', async () => {
        const counters = new Collection<{ count: number }>(storage, 'counters');
        await Promise.all(
          Array.from({ length: 20 }, () => counters.update('c', (c) => ({ count: (c?.count ?? 0) + 1 }), 100)),
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

    const outage = setup.outage;
    if (outage) {
      describe('outage', () => {
        it('should fail every call with StorageUnavailableError while it lasts, and lose nothing', async () => {
          await storage.write({ 'kept/a': { v: 1 }, 'kept/b': { v: 2 } });
          const eTag = (await storage.read(['kept/a']))['kept/a'].eTag!;
          await outage.begin();
          try {
            const calls: [string, () => Promise<unknown>][] = [
              ['read', () => storage.read(['kept/a'])],
              ['write', () => storage.write({ 'kept/c': { v: 3 } })],
              ['conditional write', () => storage.write({ 'kept/a': { v: 9, eTag } })],
              ['create', () => storage.write({ 'kept/d': { v: 4, eTag: IF_NONE_MATCH } })],
              ['delete', () => storage.delete(['kept/b'])],
              ['list', () => storage.list('kept/')],
            ];
            for (const [what, call] of calls) {
              const error = await call().then(
                () => new Error(`${what} succeeded during the outage`),
                (e: unknown) => e,
              );
              expect(error, what).toBeInstanceOf(StorageUnavailableError);
              expect((error as StorageUnavailableError).retryAfterSeconds, what).toBeGreaterThan(0);
            }
            expect((await storage.health()).ok).toBe(false);
          } finally {
            await outage.end();
          }
          expect((await storage.health()).ok).toBe(true);
          expect(await storage.list('kept/')).toEqual(['kept/a', 'kept/b']);
          // The eTag from before the outage still works: nothing was written behind the client's back.
          await storage.write({ 'kept/a': { v: 10, eTag } });
          expect((await storage.read(['kept/a']))['kept/a'].v).toBe(10);
        });
      });
    }
  });
}
