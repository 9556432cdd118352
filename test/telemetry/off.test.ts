/**
 * Telemetry off, the default: no SDK module is loaded, no wrapper is applied, the API hands out its
 * no-op tracer, no `traceparent` crosses the HTTP hop, and log lines carry no trace ids. This file
 * runs in its own process (vitest forks one per file) and never starts the SDK.
 */
import { isSpanContextValid, ProxyTracerProvider, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createRuntimeServiceApp } from '../../src/service/app';
import { localTimings } from '../../src/service/providers/local/localProvider';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import { tracedUpdater } from '../../src/telemetry/delivery';
import { serviceUrlTemplate, tracedFetch } from '../../src/telemetry/httpClient';
import { startTelemetry } from '../../src/telemetry/setup';
import { traceStorage } from '../../src/telemetry/storage';
import { inSpan } from '../../src/telemetry/tracer';
import { serviceConfig } from '../helpers/service';
import { attachBot, type Stack } from '../helpers/stack';

/** Modules that only a started SDK needs. */
const SDK_MODULES =
  /[\\/]node_modules[\\/](@opentelemetry[\\/](sdk-|exporter-|resources|instrumentation|context-async-hooks|otlp-)|@azure[\\/]monitor-opentelemetry)/;

const logs: string[] = [];
const traceparents: (string | undefined)[] = [];
let stack: Stack;

beforeAll(async () => {
  // What index.ts does with an empty environment.
  const config = loadConfig({ DATA_DIR: '/nonexistent' });
  expect(config.telemetry).toEqual({});
  expect(startTelemetry(config.telemetry, 'runtime-bot').exporters).toEqual([]);

  const clock = new FakeClock(Date.parse('2026-11-23T09:00:00Z'));
  const log = createLogger('debug', {}, (line) => logs.push(line));
  const service = createRuntimeServiceApp({
    config: serviceConfig({ demoData: true }),
    storage: new MemoryStorage(),
    log,
    clock,
    timings: localTimings(1),
    runWorkers: false,
  });
  service.server.pre((req, _res, next) => {
    traceparents.push(req.headers.traceparent as string | undefined);
    return next();
  });
  const serviceUrl = await service.start();
  stack = await attachBot({ service, serviceUrl, clock, log, settle: () => service.engine.drain() });
});
afterAll(() => stack.close());

describe('with no exporter configured', () => {
  it('should answer a status turn without loading any SDK module', async () => {
    expect((await stack.say('status')).status).toBe(200);
    expect(traceparents.length).toBeGreaterThan(0);
    const loaded = Object.keys(require.cache).filter((k) => SDK_MODULES.test(k));
    expect(loaded).toEqual([]);
  });

  it('should send no traceparent and write no trace ids', async () => {
    logs.length = 0;
    await stack.say('status chat-dev');
    expect(traceparents.every((t) => t === undefined)).toBe(true);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.filter((l) => l.includes('traceId') || l.includes('spanId'))).toEqual([]);
  });

  it('should apply no wrapper: the objects come back as they were given', () => {
    const storage = new MemoryStorage();
    const updater = { update: async () => undefined };
    expect(traceStorage(storage, 'bot')).toBe(storage);
    expect(tracedFetch(fetch, 'bot', serviceUrlTemplate)).toBe(fetch);
    expect(tracedUpdater(updater)).toBe(updater);
  });

  it('should leave the API on its no-op tracer, whose spans record nothing', async () => {
    const provider = trace.getTracerProvider() as ProxyTracerProvider;
    expect(provider.getDelegate().constructor.name).toBe('NoopTracerProvider');
    await inSpan('bot', 'never recorded', {}, async (span) => {
      expect(span.isRecording()).toBe(false);
      expect(isSpanContextValid(span.spanContext())).toBe(false);
      expect(trace.getActiveSpan()).toBeUndefined(); // no context manager either
    });
  });
});
