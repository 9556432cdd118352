/**
 * Traces through the whole product, with an in-memory exporter: the bot and the runtime service
 * over real HTTP on loopback (one process, two tracers), the engine driven by hand. A `status` turn
 * is one trace from the turn to the service's storage; an approved reset is a chain of traces, each
 * linked to the one that caused it: the request turn, the approval turn (which carries the service
 * call and the first step), the later steps, and the progress-card updates.
 */
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Verb } from '../../src/core/actions/verbs';
import { createLogger } from '../../src/logger';
import { inSpan } from '../../src/telemetry/tracer';
import { type ApprovalStack, cardsOf, startApprovalStack } from '../helpers/approvalStack';
import { startStack, type Stack } from '../helpers/stack';
import {
  childrenOf,
  linksTo,
  scopeOf,
  type TestTelemetry,
  startTestTelemetry,
  theSpan,
  traceOf,
} from '../helpers/telemetry';

const BOT = 'promptflow-runtime-bot';
const SERVICE = 'promptflow-runtime-service';

let otel: TestTelemetry;
beforeAll(() => {
  otel = startTestTelemetry();
});
afterAll(() => otel.telemetry.shutdown());
beforeEach(() => otel.exporter.reset());

it('should have loaded the SDK on demand (what off.test.ts checks is absent)', () => {
  expect(Object.keys(require.cache).some((k) => k.includes('@opentelemetry/sdk-node'))).toBe(true);
});

describe('a status turn', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it('should be one trace from the turn through the runtime client to the service route', async () => {
    const answer = await stack.say('status');
    expect(answer.status).toBe(200);
    const spans = await otel.spans();

    const turn = theSpan(spans, 'turn status');
    expect(turn.kind).toBe(SpanKind.SERVER);
    expect(turn.parentSpanContext).toBeUndefined();
    expect(scopeOf(turn)).toBe(BOT);
    expect(turn.attributes).toMatchObject({ 'bot.activity.type': 'message', 'bot.command': 'status' });

    const client = childrenOf(spans, turn).find((s) => s.name === 'GET /v1/summary')!;
    expect(client.kind).toBe(SpanKind.CLIENT);
    expect(scopeOf(client)).toBe(BOT);
    expect(client.attributes).toMatchObject({ 'http.response.status_code': 200, 'url.template': '/v1/summary' });

    const [route] = childrenOf(spans, client);
    expect(route.name).toBe('GET /v1/summary');
    expect(route.kind).toBe(SpanKind.SERVER);
    expect(scopeOf(route)).toBe(SERVICE);
    expect(route.attributes).toMatchObject({ 'http.route': '/v1/summary', 'http.response.status_code': 200 });

    // The service answers from its read model: the summary costs no storage call at all.
    expect(childrenOf(spans, route).map((s) => s.name)).toEqual([]);
    expect(childrenOf(spans, turn).map((s) => s.name)).toEqual(
      expect.arrayContaining(['storage write conversations', 'send activities']),
    );
    // Nothing else was traced meanwhile: every span of the turn is in the one trace.
    expect(new Set(spans.map(traceOf))).toEqual(new Set([traceOf(turn)]));
    expect(new Set(spans.map(scopeOf))).toEqual(new Set([BOT, SERVICE]));
  });

  it('should continue the trace a caller sends in traceparent, and start one when there is none', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    await fetch(`${stack.serviceUrl}/v1/runtimes/chat-dev`, {
      headers: { traceparent: `00-${traceId}-${parentId}-01` },
    });
    await fetch(`${stack.serviceUrl}/v1/runtimes`);
    const continued = theSpan(await otel.spans(), 'GET /v1/runtimes/:name');
    expect(traceOf(continued)).toBe(traceId);
    expect(continued.parentSpanContext).toMatchObject({ spanId: parentId, isRemote: true });
    const fresh = theSpan(await otel.spans(), 'GET /v1/runtimes');
    expect(fresh.parentSpanContext).toBeUndefined();
    expect(traceOf(fresh)).not.toBe(traceId);
  });

  it('should record no span for a background poll on either side, and still count it', async () => {
    const polls = async () =>
      (await otel.points('http.server.request.duration'))
        .filter((p) => p.attributes['http.route'] === '/v1/events')
        .reduce((n, p) => n + (p.value as { count: number }).count, 0);
    const before = await polls();
    await stack.bot.notifications.notifier.pollEvents(); // GET /v1/events, outside any span, nothing new
    expect(await polls()).toBeGreaterThan(before);
    expect(await otel.spans()).toEqual([]);
  });

  it('should not trace health probes', async () => {
    expect((await fetch(`${stack.serviceUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${stack.serviceUrl}/readyz`)).status).toBe(200);
    expect(await otel.spans()).toEqual([]);
  });

  it('should record the status of a refused service call on both sides', async () => {
    await stack.say('status no-such-runtime');
    const spans = await otel.spans();
    const turn = theSpan(spans, 'turn status');
    const client = childrenOf(spans, turn).find((s) => s.name === 'GET /v1/runtimes/{name}')!;
    expect(client.attributes['http.response.status_code']).toBe(404);
    expect(theSpan(spans, 'GET /v1/runtimes/:name').attributes['http.response.status_code']).toBe(404);
  });

  it('should put the trace and span ids on the log lines written inside a span', async () => {
    const lines: string[] = [];
    const log = createLogger('info', {}, (line) => lines.push(line));
    log.info('outside');
    await inSpan('bot', 'logging', {}, async (span) => {
      log.info('inside');
      expect(JSON.parse(lines[1])).toMatchObject({
        msg: 'inside',
        traceId: span.spanContext().traceId,
        spanId: span.spanContext().spanId,
      });
    });
    expect(JSON.parse(lines[0]).traceId).toBeUndefined();
  });

  it('should keep feed tokens and message text out of spans', async () => {
    const text = 'install chat-dev\n--index-url https://SECRET123@pkgs.example/simple\nprivate-pkg';
    await stack.say(text);
    await stack.say('status chat-dev with some words nobody should see');
    const dump = JSON.stringify(
      (await otel.spans()).map((s) => ({ name: s.name, attributes: s.attributes, links: s.links })),
    );
    expect(dump).toContain('turn install');
    expect(dump).not.toContain('SECRET123');
    expect(dump).not.toContain('pkgs.example');
    expect(dump).not.toContain('nobody should see');
  });
  it('should trace a notification from its queueing to each send, linked', async () => {
    const channel = { kind: 'channel' as const, conversationId: '19:runtime-ops@thread.tacv2' };
    await stack.say('subscribe versions', 'alex', channel);
    await stack.bot.notifications.runOnce(); // the event cursor starts at the log's head
    otel.exporter.reset();
    await stack.service.versions.publish('20991231.v3', undefined, { objectId: 'publisher' });
    const round = await stack.bot.notifications.runOnce();
    expect(round.sent).toBe(1);
    const spans = await otel.spans();
    const queued = theSpan(spans, 'notification queue versions');
    expect(queued.parentSpanContext).toBeUndefined();
    expect(queued.attributes).toMatchObject({
      'notification.topic': 'versions',
      'notification.id': 'version-20991231.v3',
    });
    const sent = theSpan(spans, 'notification send versions');
    expect(sent.kind).toBe(SpanKind.PRODUCER);
    expect(sent.parentSpanContext).toBeUndefined();
    expect(linksTo(sent, queued)).toBe(true);
    expect(sent.attributes).toMatchObject({ 'notification.outcome': 'sent', 'notification.attempt': 1 });
  });
});

describe('an approved reset', () => {
  let a: ApprovalStack;
  beforeAll(async () => {
    a = await startApprovalStack();
  });
  afterAll(() => a.close());

  it('should link the request, the approval, the engine steps and the card updates', async () => {
    const { id, messageId } = await a.request('reset chat-dev', 'alex');
    const requestTurn = theSpan(await otel.spans(), 'turn reset');
    otel.exporter.reset();

    const answer = await a.click(Verb.Approve, { approvalId: id }, 'megan', messageId);
    expect(answer.status).toBe(200);
    const approval = await otel.spans();
    const approveTurn = theSpan(approval, 'turn approval.approve');
    expect(approveTurn.attributes).toMatchObject({
      'bot.activity.type': 'invoke',
      'bot.card.verb': 'approval.approve',
    });
    expect(linksTo(approveTurn, requestTurn)).toBe(true);
    expect(traceOf(approveTurn)).not.toBe(traceOf(requestTurn));

    // The approval turn calls the service, whose route submits the reset and runs its first step.
    const submit = approval.find(
      (s) =>
        s.name === 'POST /v1/runtimes/{name}/reset' && s.parentSpanContext?.spanId === approveTurn.spanContext().spanId,
    )!;
    const route = theSpan(childrenOf(approval, submit), 'POST /v1/runtimes/:name/:action');
    expect(route.attributes['http.response.status_code']).toBe(202);
    const firstStep = theSpan(childrenOf(approval, route), /^operation reset /);
    expect(firstStep.attributes['runtime.operation.kind']).toBe('reset');
    const operationId = String(firstStep.attributes['runtime.operation.id']);
    // The approval card becomes the progress card: an update in the same turn.
    expect(childrenOf(approval, approveTurn).map((s) => s.name)).toContain('card update');
    expect(new Set(approval.map(traceOf))).toEqual(new Set([traceOf(approveTurn)]));
    // The stored context is bookkeeping: the operation as the API shows it does not carry it.
    expect((await a.stack.service.engine.getOperation(operationId))?.traceparent).toMatch(/^00-/);
    const shown = await (await fetch(`${a.stack.serviceUrl}/v1/operations/${operationId}`)).json();
    expect(shown).toMatchObject({ id: operationId, kind: 'reset' });
    expect(shown).not.toHaveProperty('traceparent');

    otel.exporter.reset();
    await a.stack.settle();
    const later = await otel.spans();
    const steps = later.filter((s) => s.name.startsWith('operation reset '));
    expect(steps.length).toBeGreaterThan(1);
    for (const step of steps) {
      expect(step.parentSpanContext).toBeUndefined();
      expect(step.attributes['runtime.operation.id']).toBe(operationId);
      expect(linksTo(step, route)).toBe(true);
    }
    expect(steps.at(-1)!.attributes['runtime.operation.status']).toBe('Succeeded');

    const progress = later.filter((s) => s.name === 'operation progress reset');
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) {
      expect(p.parentSpanContext).toBeUndefined();
      expect(linksTo(p, approveTurn)).toBe(true);
      expect(p.attributes['runtime.operation.id']).toBe(operationId);
      expect(childrenOf(later, p).map((s) => s.name)).toContain('card update');
    }
    expect(progress.at(-1)!.attributes['runtime.operation.status']).toBe('Succeeded');
    // One card update per progress span, the last one showing the end.
    const updates = a.stack.connector.updates(messageId);
    expect(updates.length).toBe(progress.length + 1);
    expect(JSON.stringify(cardsOf(updates.at(-1)!))).toMatch(/"text":"Done"/);
  });
});
