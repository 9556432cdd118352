/**
 * One runtime's events stay in order across replicas: the replica that ran a step keeps the
 * operation's lease until that step's events are in the log, so another replica cannot run the
 * next step (and append its events) in between; and one process never advances one operation
 * twice at the same time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import type { StoreItems } from '../../src/storage/storage';
import { ACTORS, automatic, startTestService, type TestService, TIMINGS } from '../helpers/service';

/** Holds the first append of a `runtime.changed` event at a gate: a replica paused mid-publish. */
class GatedStorage extends MemoryStorage {
  private open!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));
  reached!: Promise<void>;
  private arrive!: () => void;
  private armed = true;

  constructor() {
    super();
    this.reached = new Promise((resolve) => (this.arrive = resolve));
  }

  release(): void {
    this.open();
  }

  override async write(changes: StoreItems): Promise<void> {
    const [key, item] = Object.entries(changes)[0];
    if (this.armed && key.startsWith('event-inbox/') && item.type === 'runtime.changed') {
      this.armed = false;
      this.arrive();
      await this.gate;
    }
    return super.write(changes);
  }
}

const services: TestService[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
});

describe("one runtime's events across replicas", () => {
  it('should not let another replica run the next step before this step’s events are out', async () => {
    const storage = new GatedStorage();
    const clock = new FakeClock();
    const a = await startTestService({ storage, clock });
    const b = await startTestService({ storage, clock });
    services.push(a, b);

    const accepted = a.request('PUT', '/v1/runtimes/order-rt', { actor: ACTORS.alex, body: automatic() });
    await storage.reached; // A ran the first step and is publishing `Starting`
    clock.advance(TIMINGS.startMs); // the next step is due
    expect(await b.app.engine.tick()).toBe(0); // but A still holds the operation
    storage.release();
    expect((await accepted).status).toBe(202); // A goes on: the next step was due, so it runs it too
    await b.app.engine.tick();
    expect((await a.app.engine.operations.all()).map((op) => op.status)).toEqual(['Succeeded']);
    await Promise.all([a.app.events.settled(), b.app.events.settled()]);
    const events = (await a.app.events.after('0')).filter((e) => e.data.runtimeName === 'order-rt');
    expect(events.map((e) => `${e.type}${e.data.status ? `:${e.data.status}` : ''}`)).toEqual([
      'operation.started',
      'runtime.changed:Starting',
      'runtime.changed:Running',
      'operation.completed',
    ]);
  });

  it('should run one advance of an operation at a time in one process', async () => {
    const s = await startTestService();
    services.push(s);
    const res = await s.request('PUT', '/v1/runtimes/solo-rt', { actor: ACTORS.alex, body: automatic() });
    s.clock.advance(TIMINGS.startMs);
    const ran = await Promise.all([s.app.engine.advance(res.json.id), s.app.engine.advance(res.json.id)]);
    expect(ran.map((r) => r.ran).sort()).toEqual([false, true]);
  });
});
