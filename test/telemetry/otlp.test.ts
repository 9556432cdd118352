/**
 * OTEL_EXPORTER_OTLP_ENDPOINT end to end: the setting goes through loadConfig and startTelemetry
 * (the real OTLP/HTTP exporters behind @opentelemetry/sdk-node) to a loopback OTLP receiver, and a
 * `status` turn arrives there as one trace across the bot and the service, with the metrics.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { startTelemetry, type Telemetry } from '../../src/telemetry/setup';
import { OtlpReceiver } from '../helpers/otlpReceiver';
import { startStack, type Stack } from '../helpers/stack';

const receiver = new OtlpReceiver();
let telemetry: Telemetry;
let stack: Stack;

beforeAll(async () => {
  const url = await receiver.start();
  const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: `${url}/`, DATA_DIR: '/nonexistent' });
  expect(config.telemetry).toEqual({ otlpEndpoint: url });
  telemetry = startTelemetry(config.telemetry, 'runtime-bot');
  expect(telemetry.exporters).toEqual(['otlp']);
  stack = await startStack();
});
afterAll(() => receiver.stop());

it('should export a status turn as one trace, and the metrics, when it shuts down', async () => {
  expect((await stack.say('status')).status).toBe(200);
  await stack.close();
  await telemetry.shutdown(); // what index.ts does last: flushes the batch and the last metrics

  expect(receiver.refused).toEqual([]);
  const spans = receiver.spans();
  const turn = spans.find((s) => s.name === 'turn status')!;
  expect(turn).toMatchObject({ service: 'runtime-bot', scope: 'promptflow-runtime-bot' });
  const route = spans.find((s) => s.name === 'GET /v1/summary' && s.scope === 'promptflow-runtime-service')!;
  expect(route.traceId).toBe(turn.traceId);
  const client = spans.find((s) => s.spanId === route.parentSpanId)!;
  expect(client).toMatchObject({ name: 'GET /v1/summary', parentSpanId: turn.spanId });
  expect(receiver.metricNames()).toEqual(
    expect.arrayContaining(['bot.turn.duration', 'http.server.request.duration', 'storage.operation.duration']),
  );
});
