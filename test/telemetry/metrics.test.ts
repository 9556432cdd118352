/**
 * The metrics, read from the SDK by hand after real work through the product: turn latency by
 * command, the service's request durations, operation durations by kind and outcome, storage
 * latency and eTag conflicts, and the outbox's depth and send outcomes (429s included) through the
 * throttling loopback connector.
 */
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FanoutStack, startFanoutStack, conversationId } from '../helpers/fanoutStack';
import { startStack, type Stack } from '../helpers/stack';
import { type TestTelemetry, startTestTelemetry } from '../helpers/telemetry';

let otel: TestTelemetry;
beforeAll(() => {
  otel = startTestTelemetry();
});
afterAll(() => otel.telemetry.shutdown());

type Point = DataPoint<number | Histogram>;

/** The points whose attributes include `match`. */
async function pointsWith(name: string, match: Record<string, unknown>): Promise<Point[]> {
  return (await otel.points(name)).filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v));
}

const count = (points: Point[]) => points.reduce((n, p) => n + (p.value as Histogram).count, 0);
const total = (points: Point[]) => points.reduce((n, p) => n + (p.value as number), 0);

describe('a chat stack', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it('should time turns by command, and the service routes they called', async () => {
    await stack.say('status');
    await stack.say('status');
    await stack.say('list');
    expect(
      count(await pointsWith('bot.turn.duration', { 'bot.command': 'status', 'bot.activity.type': 'message' })),
    ).toBe(2);
    expect(count(await pointsWith('bot.turn.duration', { 'bot.command': 'list' }))).toBe(1);
    // The second turn revalidates the summary it holds: 304, by status code.
    const summary = async (status: number) =>
      count(
        await pointsWith('http.server.request.duration', {
          'http.route': '/v1/summary',
          'http.request.method': 'GET',
          'http.response.status_code': status,
        }),
      );
    expect([await summary(200), await summary(304)]).toEqual([1, 1]);
    const storage = await pointsWith('storage.operation.duration', {
      'storage.operation': 'list',
      'storage.collection': 'runtimes',
      'storage.area': 'service',
    });
    expect(count(storage)).toBeGreaterThan(0);
    // No label carries a user, a conversation or a runtime name.
    const labels = JSON.stringify(
      (await otel.points('bot.turn.duration'))
        .concat(await otel.points('storage.operation.duration'))
        .map((p) => p.attributes),
    );
    expect(labels).not.toMatch(/chat-dev|alex|Alex|19:|a:user/);
  });

  it('should time operations from acceptance to their end, by kind and outcome', async () => {
    await stack.say('reset chat-dev');
    await stack.say('install rag-eval numpy==0.0.1');
    await stack.settle();
    const reset = await pointsWith('runtime.operation.duration', {
      'runtime.operation.kind': 'reset',
      'runtime.operation.status': 'Succeeded',
    });
    expect(count(reset)).toBe(1);
    expect((reset[0].value as Histogram).sum).toBeGreaterThan(0); // the fake clock moved on while it ran
    const failed = await pointsWith('runtime.operation.duration', {
      'runtime.operation.kind': 'install',
      'runtime.operation.status': 'Failed',
    });
    expect(count(failed)).toBe(1);
    expect(failed[0].attributes['error.type']).toEqual(expect.any(String));
  });

  it('should count eTag conflicts by collection', async () => {
    const before = total(await pointsWith('storage.etag_conflicts', { 'storage.collection': 'operations' }));
    const [first] = await stack.service.engine.operations.all();
    await expect(stack.service.engine.operations.create(first.id, first)).rejects.toThrow(/eTag conflict/);
    const after = await pointsWith('storage.etag_conflicts', {
      'storage.collection': 'operations',
      'storage.area': 'service',
    });
    expect(total(after)).toBe(before + 1);
  });
});

describe('the outbox', () => {
  let fanout: FanoutStack;
  beforeAll(async () => {
    // The connector throttles each conversation's first send with a 429.
    fanout = await startFanoutStack({
      conversations: 3,
      globalPerSecond: 50,
      faults: (call) => (call.attempt === 1 ? { status: 429, retryAfterSeconds: 1 } : undefined),
    });
  });
  afterAll(() => fanout.stop());

  it('should report its depth and every send outcome, 429s included', async () => {
    const [producer, sender] = fanout.replicas;
    await fanout.service.versions.publish('20991231.v1', 'Metrics release', {
      objectId: '00000000-0000-0000-0000-0000000000021',
    });
    expect(await producer.notifications.notifier.pollEvents()).toBe(3);
    const depth = await otel.points('bot.outbox.depth');
    expect(depth.map((p) => p.value)).toContain(3);

    await sender.notifications.worker.tick(); // every first send is throttled
    const throttled = await pointsWith('bot.notification.sends', {
      'notification.outcome': 'refused',
      'http.response.status_code': 429,
      'notification.topic': 'versions',
    });
    expect(total(throttled)).toBe(3);

    await vi.waitFor(
      async () => {
        await sender.notifications.worker.tick();
        expect(await sender.notifications.outbox.pending()).toBe(0);
      },
      { interval: 100, timeout: 10_000 },
    );
    expect(total(await pointsWith('bot.notification.sends', { 'notification.outcome': 'sent' }))).toBe(3);
    expect((await otel.points('bot.outbox.depth')).map((p) => p.value)).toEqual(expect.arrayContaining([0]));
    expect(fanout.connector.sent(conversationId(0))).toHaveLength(1);
  });
});
