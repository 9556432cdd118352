import { promises as fsp } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/clock';
import { FileStorage } from '../../../src/storage/fileStorage';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { CountingStorage } from '../../helpers/countingStorage';
import { ACTORS, advance, automatic, startTestService, type TestService, TIMINGS } from '../../helpers/service';

interface Sse {
  id?: string;
  event?: string;
  data: any;
}

interface Stream {
  status: number;
  contentType: string | null;
  headers: http.IncomingHttpHeaders;
  /** The body of a refused stream (problem+json). */
  body(): Promise<string>;
  events: Sse[];
  /** Resolves once `count` events have arrived; fails after a few seconds of real time. */
  waitFor(count: number): Promise<Sse[]>;
  close(): void;
}

const services: TestService[] = [];
const streams: Stream[] = [];
const tmpDirs: string[] = [];

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await Promise.all(services.splice(0).map((s) => s.close()));
  await Promise.all(tmpDirs.splice(0).map((d) => fsp.rm(d, { recursive: true, force: true })));
});

async function start(options: Parameters<typeof startTestService>[0] = {}): Promise<TestService> {
  const s = await startTestService(options);
  services.push(s);
  return s;
}

async function connect(
  s: TestService,
  query = '',
  headers: Record<string, string> = {},
  localAddress?: string,
): Promise<Stream> {
  const events: Sse[] = [];
  let notify = () => {};
  let buffer = '';
  const url = new URL(`${s.url}/v1/events${query}`);
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.get(url, { headers, ...(localAddress ? { localAddress } : {}) }, resolve);
    req.on('error', reject);
  });
  res.setEncoding('utf8');
  let body = '';
  res.on('data', (chunk: string) => {
    if (res.statusCode !== 200) {
      body += chunk;
      return;
    }
    buffer += chunk;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(
        block
          .split('\n')
          .filter((line) => line && !line.startsWith(':'))
          .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
      );
      if (fields.data !== undefined) events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
      end = buffer.indexOf('\n\n');
    }
    notify();
  });
  res.on('error', () => undefined); // destroyed by close()
  const ended = new Promise<void>((resolve) => res.on('end', resolve));
  const stream: Stream = {
    status: res.statusCode ?? 0,
    contentType: res.headers['content-type'] ?? null,
    headers: res.headers,
    events,
    async body() {
      await ended;
      return body;
    },
    async waitFor(count) {
      const deadline = Date.now() + 5000;
      while (events.length < count) {
        if (Date.now() > deadline)
          throw new Error(`got ${events.length} of ${count} events: ${JSON.stringify(events.map((e) => e.event))}`);
        await new Promise<void>((resolve) => {
          notify = resolve;
          setTimeout(resolve, 100);
        });
      }
      return events.slice(0, count);
    },
    close: () => res.destroy(),
  };
  streams.push(stream);
  return stream;
}

describe('GET /v1/events', () => {
  it('should stream a change as operation.started, runtime.changed and operation.completed, with ids', async () => {
    const s = await start();
    await s.request('PUT', '/v1/runtimes/before-rt', { actor: ACTORS.alex, body: automatic() });
    const stream = await connect(s);
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);

    const created = await s.request('PUT', '/v1/runtimes/sse-rt', { actor: ACTORS.megan, body: automatic() });
    const opId = created.json.id;
    const [started, starting] = await stream.waitFor(2);
    expect(started).toMatchObject({
      event: 'operation.started',
      data: { type: 'operation.started', data: { runtimeName: 'sse-rt' } },
    });
    expect(started.data.data.operation).toMatchObject({ id: opId, kind: 'create', requestedBy: ACTORS.megan });
    expect(starting).toMatchObject({
      event: 'runtime.changed',
      data: { data: { runtimeName: 'sse-rt', status: 'Starting', operationId: opId } },
    });

    await advance(s, TIMINGS.startMs);
    const all = await stream.waitFor(6);
    const of = (name: string) => all.filter((e) => e.data.data.runtimeName === name).map((e) => e.event);
    expect(of('sse-rt')).toEqual(['operation.started', 'runtime.changed', 'runtime.changed', 'operation.completed']);
    // before-rt started before the client connected: only what came after is streamed.
    expect(of('before-rt')).toEqual(['runtime.changed', 'operation.completed']);
    const completed = all.find((e) => e.event === 'operation.completed' && e.data.data.runtimeName === 'sse-rt')!;
    expect(completed.data.data.operation).toMatchObject({ id: opId, status: 'Succeeded' });
    for (const e of all) {
      expect(e.id).toMatch(/^\d{12}$/);
      expect(e.data.id).toBe(e.id);
      expect(e.data.type).toBe(e.event);
    }
    const ids = all.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each([
    ['the Last-Event-ID header', (id: string) => ['', { 'last-event-id': id }] as const],
    ['the lastEventId query parameter', (id: string) => [`?lastEventId=${id}`, {}] as const],
  ])('should resume with %s and send exactly the missed events', async (_how, resume) => {
    const s = await start();
    const first = await connect(s);
    await s.request('PUT', '/v1/runtimes/resume-rt', { actor: ACTORS.alex, body: automatic() });
    const seen = await first.waitFor(2);
    first.close();
    const lastSeen = seen[1].id!;

    // Missed while disconnected: Running, completed, a publish, an install.
    await advance(s, TIMINGS.startMs);
    await s.request('POST', '/v1/versions', { actor: ACTORS.adele, body: { tag: '20260201.v1' } });
    await s.request('POST', '/v1/runtimes/resume-rt/install', { actor: ACTORS.alex, body: { requirements: 'numpy' } });
    await s.app.events.settled();
    const missed = (await s.app.events.after(lastSeen)).map((e) => e.id);
    expect(missed).toHaveLength(5);

    const [query, headers] = resume(lastSeen);
    const second = await connect(s, query, headers);
    const got = await second.waitFor(missed.length);
    expect(got.map((e) => e.id)).toEqual(missed);
    expect(got.map((e) => e.event)).toEqual([
      'runtime.changed',
      'operation.completed',
      'image.released',
      'operation.started',
      'runtime.changed',
    ]);
    // And it goes on live from there.
    await advance(s, TIMINGS.installMs);
    const more = await second.waitFor(missed.length + 2);
    expect(more.slice(-2).map((e) => e.event)).toEqual(['runtime.changed', 'operation.completed']);
  });

  it('should start from now when Last-Event-ID is not an event id', async () => {
    const s = await start();
    await s.request('POST', '/v1/versions', { actor: ACTORS.adele, body: { tag: '20260201.v1' } });
    const stream = await connect(s, '', { 'last-event-id': '../../etc/passwd' });
    await s.request('POST', '/v1/versions', { actor: ACTORS.adele, body: { tag: '20260202.v1' } });
    const [only] = await stream.waitFor(1);
    expect(only.data.data.tag).toBe('20260202.v1');
  });

  it('should filter with ?types=image.released, and announce a published version', async () => {
    const s = await start();
    const stream = await connect(s, '?types=image.released');
    await s.request('PUT', '/v1/runtimes/quiet-rt', { actor: ACTORS.alex, body: automatic() });
    await advance(s, TIMINGS.startMs);
    await s.request('POST', '/v1/versions', { actor: ACTORS.adele, body: { tag: '20240101.v3' } }); // older than latest
    const published = await s.request('POST', '/v1/versions', {
      actor: ACTORS.adele,
      body: { tag: '20260301.v1', notes: 'March build.' },
    });
    expect(published.status).toBe(201);
    await s.request('POST', '/v1/versions', { actor: ACTORS.adele, body: { tag: '20260301.v1' } }); // known: no event

    const got = await stream.waitFor(2);
    expect(got.map((e) => e.event)).toEqual(['image.released', 'image.released']);
    expect(got[0].data.data).toMatchObject({ tag: '20240101.v3', isLatest: false, previousLatest: '20251211.v2' });
    expect(got[1].data.data).toEqual({
      tag: '20260301.v1',
      repository: 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable',
      previousLatest: '20251211.v2',
      isLatest: true,
      notes: 'March build.',
    });
    // The three runtime events between them were skipped, not merely late.
    const quiet = await connect(s, '?types=image.released', { 'last-event-id': '0' });
    expect((await quiet.waitFor(2)).map((e) => e.data.data.tag)).toEqual(['20240101.v3', '20260301.v1']);
  });

  it('should stream events that another replica appended', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'events-'));
    tmpDirs.push(dir);
    const clock = new FakeClock();
    const a = await start({ storage: new FileStorage(dir), clock });
    const b = await start({ storage: new FileStorage(dir), clock });
    const stream = await connect(a);
    await b.request('PUT', '/v1/runtimes/other-rt', { actor: ACTORS.alex, body: automatic() });
    const got = await stream.waitFor(2);
    expect(got.map((e) => `${e.event}:${e.data.data.runtimeName}`)).toEqual([
      'operation.started:other-rt',
      'runtime.changed:other-rt',
    ]);
  });

  it('should stop the service while a client is still connected', async () => {
    const s = await start();
    await connect(s);
    // serviceMain's SIGTERM handler awaits stop(): a connected bot must not keep the process alive.
    const outcome = await Promise.race([
      s.app.stop().then(() => 'stopped'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 2 s'), 2000)),
    ]);
    expect(outcome).toBe('stopped');
  });
});

describe('GET /v1/events: many streams', () => {
  /** Publishes a version; the versions' tags are the easiest events to tell apart. */
  const publish = async (s: TestService, n: number) => {
    const tag = `209901${String(101 + n).slice(1)}.v1`;
    expect((await s.request('POST', '/v1/versions', { actor: ACTORS.adele, body: { tag } })).status).toBe(201);
  };

  it('should serve every stream of a process from one read of the log per poll', async () => {
    const storage = new CountingStorage(new MemoryStorage());
    const s = await start({ storage, eventStreams: { total: 100, perClient: 100 } });
    await publish(s, 1);
    await s.app.events.settled();
    const opened = await Promise.all(Array.from({ length: 40 }, () => connect(s)));
    expect(opened.every((x) => x.status === 200)).toBe(true);
    const tail = s.app.events.tail;
    expect(tail.listeners()).toBe(40);

    const logReads = () => storage.count('read', 'event-pages/') + storage.count('read', 'event-log/');
    const polls0 = tail.polls;
    storage.reset();
    await expect.poll(() => tail.polls, { interval: 50, timeout: 10_000 }).toBeGreaterThanOrEqual(polls0 + 4);
    const reads = logReads();
    const polls = tail.polls - polls0;
    // One page read per poll (and one for a poll that was under way at the reset), not one per stream.
    expect(reads).toBeGreaterThanOrEqual(polls - 1);
    expect(reads).toBeLessThanOrEqual(polls + 1);

    // And an event reaches every one of them.
    await publish(s, 2);
    for (const stream of opened) expect((await stream.waitFor(1))[0].data.data.tag).toBe('20990103.v1');
  });

  it('should give every stream every event once, in order, also those that resume from old ids', async () => {
    const s = await start();
    for (let i = 0; i < 5; i++) await publish(s, i);
    await s.app.events.settled();
    const live = await Promise.all(Array.from({ length: 5 }, () => connect(s)));
    const publishing = (async () => {
      for (let i = 5; i < 25; i++) await publish(s, i);
    })();
    // Streams that join while events flow, from the start, from the middle, and from now.
    const resumed = [];
    for (const from of ['0', '3', '000000000005', '7']) {
      resumed.push([from, await connect(s, '', { 'last-event-id': from })] as const);
    }
    await publishing;
    await s.app.events.settled();
    const head = Number(await s.app.events.lastId());
    expect(head).toBe(25);
    for (const stream of live) {
      const got = await stream.waitFor(20);
      expect(got.map((e) => Number(e.id))).toEqual(Array.from({ length: 20 }, (_, i) => 6 + i));
    }
    for (const [from, stream] of resumed) {
      const expected = Array.from({ length: head - Number(from) }, (_, i) => Number(from) + 1 + i);
      const got = await stream.waitFor(expected.length);
      expect(got.map((e) => Number(e.id))).toEqual(expected);
    }
    await new Promise((r) => setTimeout(r, 600)); // another poll of the tail: still nothing twice
    for (const stream of [...live, ...resumed.map(([, x]) => x)])
      expect(new Set(stream.events.map((e) => e.id)).size).toBe(stream.events.length);
  });

  it('should cap streams per client with 429 and in total with 503, each with Retry-After', async () => {
    const s = await start({ eventStreams: { total: 3, perClient: 2 } });
    const a1 = await connect(s, '', {}, '127.0.0.1');
    const a2 = await connect(s, '', {}, '127.0.0.1');
    expect([a1.status, a2.status]).toEqual([200, 200]);

    const a3 = await connect(s, '', {}, '127.0.0.1');
    expect(a3.status).toBe(429);
    expect(a3.headers['retry-after']).toBe('30');
    expect(a3.contentType).toBe('application/problem+json');
    expect(JSON.parse(await a3.body())).toMatchObject({
      status: 429,
      code: 'too_many_requests',
      detail: expect.stringContaining('already has 2 open event streams'),
    });

    const b1 = await connect(s, '', {}, '127.0.0.2');
    expect(b1.status).toBe(200);
    const b2 = await connect(s, '', {}, '127.0.0.2');
    expect(b2.status).toBe(503);
    expect(b2.headers['retry-after']).toBe('30');
    expect(JSON.parse(await b2.body())).toMatchObject({ status: 503, detail: expect.stringContaining('as many open') });

    // A closed stream frees its place.
    a1.close();
    await expect
      .poll(async () => (await connect(s, '', {}, '127.0.0.2')).status, { interval: 50, timeout: 2_000 })
      .toBe(200);
    // The page API is not a stream: it stays open to everyone.
    expect((await s.request('GET', '/v1/events?after=0&limit=1')).status).toBe(200);
  });

  it('should count a bearer token as the client, whatever the address', async () => {
    const s = await start({ token: 'secret-token', eventStreams: { total: 10, perClient: 1 } });
    const auth = { authorization: 'Bearer secret-token' };
    expect((await connect(s, '', auth, '127.0.0.1')).status).toBe(200);
    expect((await connect(s, '', auth, '127.0.0.3')).status).toBe(429);
  });
});
