/**
 * The read model answers exactly what reading every record from storage answered: the old views
 * (a storage scan per request) are kept here as the reference, and random runtimes, random changes
 * and random queries must give identical pages, filters, summaries and versions reports.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, iso } from '../../src/clock';
import { isOutdated, newerThan } from '../../src/domain/imageVersion';
import { KNOWN_STATUSES, type Page, type Runtime } from '../../src/domain/runtime';
import { buildSummary } from '../../src/domain/summary';
import type { RuntimeRecord } from '../../src/service/model';
import { toRuntime } from '../../src/service/runtimeViews';
import { Collection, withoutEtag } from '../../src/storage/collection';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import { ACTORS, startTestService, type TestService } from '../helpers/service';

let s: TestService | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

/** mulberry32: a small seeded generator, so that a failure names a seed that reproduces it. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = ['automatic', 'computeInstance', 'managedOnlineDeployment'] as const;
const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-';
const EVERYONE = Object.values(ACTORS);

function randomRecords(rand: () => number, count: number, tags: string[], now: number): RuntimeRecord[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const ago = (maxMinutes: number) => iso(now - Math.floor(rand() * maxMinutes * 60_000));
  const names = new Set<string>();
  while (names.size < count) {
    const length = 3 + Math.floor(rand() * 12);
    let name = pick(NAME_CHARS.slice(0, 52).split(''));
    for (let i = 1; i < length; i++) name += pick(NAME_CHARS.split(''));
    if (![...names].some((n) => n.toLowerCase() === name.toLowerCase())) names.add(name);
  }
  return [...names].map((name) => {
    const type = pick(TYPES);
    const ended = rand() < 0.5 ? ago(48 * 60) : undefined;
    const record = {
      name,
      type,
      status: pick([...KNOWN_STATUSES, 'SomethingNew']),
      owner: pick(EVERYONE),
      createdOn: ago(90 * 24 * 60),
      modifiedOn: ago(24 * 60),
      ...(rand() < 0.7 ? { imageVersion: rand() < 0.9 ? pick(tags) : 'custom' } : {}),
      ...(rand() < 0.2 ? { statusMessage: 'something to say' } : {}),
      ...(rand() < 0.15 ? { error: { code: 'E', message: 'failed', details: rand() < 0.5 ? '\nline two' : '' } } : {}),
      ...(rand() < 0.15
        ? {
            activeOperation: {
              id: `op-${name}`,
              kind: 'install' as const,
              status: 'Running' as const,
              requestedBy: pick(EVERYONE),
              createdOn: ago(10),
            },
          }
        : {}),
      ...(ended
        ? {
            lastOperation: {
              id: `last-${name}`,
              kind: pick(['reset', 'upgrade', 'stop'] as const),
              status: pick(['Succeeded', 'Failed'] as const),
              requestedBy: pick(EVERYONE),
              createdOn: ended,
              endedOn: ended,
            },
          }
        : {}),
      ...(type === 'automatic'
        ? { vmSize: 'Standard_E4ds_v4', idleTimeMinutes: 15 + Math.floor(rand() * 300), lastUsedOn: ago(6 * 60) }
        : {}),
    };
    return record as RuntimeRecord;
  });
}

/** The views as they were: every request reads the records it needs from storage. */
class StorageScan {
  private readonly runtimes: Collection<RuntimeRecord>;

  constructor(
    storage: MemoryStorage,
    private readonly latest: string | undefined,
  ) {
    this.runtimes = new Collection(storage, 'runtimes');
  }

  async summary(now: number) {
    return buildSummary(
      (await this.runtimes.all()).map((r) => toRuntime(withoutEtag(r), this.latest)),
      now,
    );
  }

  async list(query: { status?: string[]; type?: string[]; pageSize: number; after: string }): Promise<Page<Runtime>> {
    const statuses = query.status?.map((x) => x.toLowerCase());
    const matches = (r: RuntimeRecord) =>
      (!statuses || statuses.includes(String(r.status).toLowerCase())) && (!query.type || query.type.includes(r.type));
    const keys = (await this.runtimes.ids()).filter((k) => k > query.after).sort();
    const found = (await this.runtimes.getMany(keys)).filter(matches).map((r) => withoutEtag(r));
    const page = found.slice(0, query.pageSize);
    return {
      value: page.map((r) => toRuntime(r, this.latest)),
      ...(found.length > page.length
        ? { nextPageToken: Buffer.from(page.at(-1)!.name.toLowerCase()).toString('base64url') }
        : {}),
    };
  }

  async outdated(tags: string[]) {
    return (await this.runtimes.all())
      .filter((r) => isOutdated(r.imageVersion, this.latest))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((r) => ({
        name: r.name,
        type: r.type,
        imageVersion: r.imageVersion,
        newer: newerThan(r.imageVersion, tags),
      }));
  }
}

describe('reads from the read model and from a storage scan', () => {
  it.each([1, 2, 3, 4, 5, 6])('should give the same pages, filters and summary (seed %i)', async (seed) => {
    const rand = random(seed);
    const storage = new MemoryStorage();
    const clock = new FakeClock(Date.parse('2026-11-23T09:00:00Z'));
    const tags = ['20250101.v1', '20250401.v3', '20250401.v10', '20251211.v2'];
    const raw = new Collection<RuntimeRecord>(storage, 'runtimes');
    const count = 20 + Math.floor(rand() * 180);
    for (const r of randomRecords(rand, count, tags, clock.now())) await raw.create(r.name.toLowerCase(), r);
    s = await startTestService({ storage, clock });
    const service = s;
    const report = (await service.request('GET', '/v1/versions')).json;
    const scan = new StorageScan(storage, report.latest);

    // Changes after the cold start, each made the way a replica makes them: a write, then its event.
    for (let i = 0; i < 15; i++) {
      const victims = await raw.ids();
      const key = victims[Math.floor(rand() * victims.length)];
      const choice = rand();
      if (choice < 0.4) {
        const current = (await raw.get(key))!;
        const { eTag, ...body } = current;
        await raw.replace(key, { ...body, status: rand() < 0.5 ? 'Failed' : 'Running' } as RuntimeRecord, eTag);
      } else if (choice < 0.7) {
        await raw.delete(key);
      } else {
        const [fresh] = randomRecords(rand, 1, tags, clock.now());
        if (!(await raw.get(fresh.name.toLowerCase()))) await raw.create(fresh.name.toLowerCase(), fresh);
        await service.app.events.append('runtime.changed', { runtimeName: fresh.name, status: fresh.status });
        continue;
      }
      await service.app.events.append('runtime.changed', { runtimeName: key, status: 'whatever' });
    }
    await service.app.events.settled(); // appended events are numbered a moment later
    await service.app.readModel.catchUp();
    expect((await service.request('GET', '/v1/summary')).json).toEqual(await scan.summary(clock.now()));
    // Time alone moves runtimes into the idle window and out of the recent changes: a summary kept
    // from before must not outlive that.
    // The sections are those of now; only "as of" (generatedAt) may be up to 30 s old.
    for (let step = 0; step < 8; step++) {
      clock.advance(Math.floor(rand() * (step % 2 ? 40 * 60_000 : 20_000)));
      const { generatedAt, ...sections } = (await service.request('GET', '/v1/summary')).json;
      const { generatedAt: _now, ...expected } = await scan.summary(clock.now());
      expect(sections).toEqual(expected);
      expect(clock.now() - Date.parse(generatedAt)).toBeGreaterThanOrEqual(0);
      expect(clock.now() - Date.parse(generatedAt)).toBeLessThan(30_000);
    }
    expect((await service.request('GET', '/v1/versions')).json.outdated).toEqual(
      await scan.outdated(report.versions.map((v: { tag: string }) => v.tag)),
    );

    for (let q = 0; q < 12; q++) {
      const statuses =
        rand() < 0.5 ? undefined : ['Running', 'failed', 'SOMETHINGNEW', 'Stopped'].filter(() => rand() < 0.5);
      const types = rand() < 0.5 ? undefined : TYPES.filter(() => rand() < 0.5);
      const pageSize = 1 + Math.floor(rand() * 40);
      const params = new URLSearchParams({ pageSize: String(pageSize) });
      if (statuses?.length) params.set('status', statuses.join(','));
      if (types?.length) params.set('type', types.join(','));
      let token: string | undefined;
      let after = '';
      let pages = 0;
      do {
        if (token) params.set('pageToken', token);
        const got = (await service.request('GET', `/v1/runtimes?${params}`)).json;
        const expected = await scan.list({
          ...(statuses?.length ? { status: statuses } : {}),
          ...(types?.length ? { type: [...types] } : {}),
          pageSize,
          after,
        });
        expect(got.value, `seed ${seed}, query ${params}`).toEqual(expected.value);
        expect(got.nextPageToken).toEqual(expected.nextPageToken);
        token = got.nextPageToken;
        after = token ? Buffer.from(token, 'base64url').toString() : '';
        pages++;
      } while (token && pages < 300);
    }
  });
});
