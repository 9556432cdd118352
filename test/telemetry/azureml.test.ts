/**
 * The Azure ML leg of a trace, against the loopback Azure ML fake: a create is submitted inside the
 * service request its turn called, and the engine's later steps (root spans linked to that request)
 * call Azure; each attempt is a client span that sends `traceparent`, and a throttled attempt is
 * retried and counted. Nothing names the workspace or carries a token.
 */
import { SpanKind } from '@opentelemetry/api';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type AzureMlStack, startAzureMlStack } from '../helpers/azuremlStack';
import { childrenOf, linksTo, type TestTelemetry, startTestTelemetry, theSpan, traceOf } from '../helpers/telemetry';

let otel: TestTelemetry;
let stack: AzureMlStack;
beforeAll(async () => {
  otel = startTestTelemetry();
  stack = await startAzureMlStack();
});
afterAll(async () => {
  await stack.close();
  await otel.telemetry.shutdown();
});

it('should trace a create from the turn to Azure, retry a 429 once, and count it', async () => {
  stack.fake.inject({ method: 'POST', pathIncludes: '/FlowSessions/', status: 429, retryAfterSeconds: 2, times: 1 });
  const answer = await stack.say('create chat-dev --vm-size Standard_E4ds_v4 --idle 120');
  expect(answer.status).toBe(200);
  const request = await otel.spans();
  const turn = theSpan(request, 'turn create');
  const route = theSpan(request, 'PUT /v1/runtimes/:name');
  expect(traceOf(route)).toBe(traceOf(turn));
  expect(childrenOf(request, route).map((s) => s.name)).toContain('operation create begin');

  otel.exporter.reset();
  await stack.settle();
  const later = await otel.spans();
  const steps = later.filter((s) => s.name.startsWith('operation create '));
  for (const step of steps) expect(linksTo(step, route)).toBe(true);
  expect(steps.at(-1)!.attributes['runtime.operation.status']).toBe('Succeeded');

  const send = steps.find((s) => childrenOf(later, s).some((c) => c.name === 'POST /FlowSessions/{name}'))!;
  const attempts = childrenOf(later, send).filter((s) => s.name === 'POST /FlowSessions/{name}');
  expect(attempts.map((s) => s.attributes['http.response.status_code'])).toEqual([429, 202]);
  for (const attempt of attempts) expect(attempt.kind).toBe(SpanKind.CLIENT);
  // Each request Azure got carried the W3C context of its own attempt.
  expect(stack.fake.callsTo('FlowSessions_CreateFlowSession').map((c) => c.headers.traceparent)).toEqual(
    attempts.map((a) => `00-${traceOf(send)}-${a.spanContext().spanId}-01`),
  );
  // The polls of the operation Azure started are spans of later steps too.
  const polls = steps
    .flatMap((s) => childrenOf(later, s))
    .filter((s) => s.name.startsWith('GET /FlowSessions/{name}/'));
  expect(polls.length).toBeGreaterThan(0);

  const retries = (await otel.points('azureml.client.retries')).filter(
    (p) => p.attributes['url.template'] === '/FlowSessions/{name}' && p.attributes['http.request.method'] === 'POST',
  );
  expect(retries.map((p) => p.value)).toEqual([1]);
  const throttled = (await otel.points('azureml.client.request.duration')).filter(
    (p) => p.attributes['url.template'] === '/FlowSessions/{name}' && p.attributes['http.response.status_code'] === 429,
  );
  expect(throttled.map((p) => (p.value as Histogram).count)).toEqual([1]);

  const dump = JSON.stringify([...request, ...later].map((s) => ({ n: s.name, a: s.attributes })));
  expect(dump).not.toContain('ws-promptflow');
  for (const issued of stack.tokens.issued) expect(dump).not.toContain(issued.token);
  expect(stack.fake.violations).toEqual([]);
});

it("should trace the provider's sync of the workspace as a root span with its Azure calls", async () => {
  otel.exporter.reset();
  await stack.sync();
  const spans = await otel.spans();
  const sync = theSpan(spans, 'runtime sync');
  expect(sync.parentSpanContext).toBeUndefined();
  expect(sync.attributes['runtime.sync.changes']).toEqual(expect.any(Number));
  expect(childrenOf(spans, sync).map((s) => s.name)).toContain('GET /FlowRuntimes');
});
