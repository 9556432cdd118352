/**
 * OpenTelemetry for a test file: the product's own startTelemetry with an in-memory span exporter
 * and a metric reader collected by hand. Call it before building any app (wrappers decide when they
 * are applied). The SDK registers process-wide, and vitest runs each test file in its own process,
 * so every file that needs telemetry calls this once, in beforeAll.
 */
import type { HrTime, SpanContext } from '@opentelemetry/api';
import { type DataPoint, type Histogram, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startTelemetry, type Telemetry } from '../../src/telemetry/setup';

/** A reader that exports nothing by itself: the test asks for the current values. */
class ManualReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

export interface TestTelemetry {
  telemetry: Telemetry;
  exporter: InMemorySpanExporter;
  /** The finished spans, once their export is done (the first waits for the resource's host facts). */
  spans(): Promise<ReadableSpan[]>;
  /** Every data point of one metric, now. */
  points(name: string): Promise<DataPoint<number | Histogram>[]>;
}

export function startTestTelemetry(serviceName = 'telemetry-test'): TestTelemetry {
  const exporter = new InMemorySpanExporter();
  const reader = new ManualReader();
  const processor = new SimpleSpanProcessor(exporter);
  const telemetry = startTelemetry({}, serviceName, { spanProcessors: [processor], metricReaders: [reader] });
  return {
    telemetry,
    exporter,
    async spans() {
      await processor.forceFlush();
      return exporter.getFinishedSpans();
    },
    async points(name) {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length) throw new Error(`metric collection failed: ${errors.join('; ')}`);
      return metricPoints(resourceMetrics, name);
    },
  };
}

function metricPoints(resource: ResourceMetrics, name: string): DataPoint<number | Histogram>[] {
  return resource.scopeMetrics.flatMap((scope) =>
    scope.metrics
      .filter((m) => m.descriptor.name === name)
      .flatMap((m) => m.dataPoints as DataPoint<number | Histogram>[]),
  );
}

/** The spans whose parent is `parent`, in start order. */
export function childrenOf(spans: ReadableSpan[], parent: ReadableSpan): ReadableSpan[] {
  return spans
    .filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId)
    .sort((a, b) => compareTime(a.startTime, b.startTime));
}

/** The one span with this name; fails with the names there are when it is not exactly one. */
export function theSpan(spans: ReadableSpan[], name: string | RegExp): ReadableSpan {
  const found = spans.filter((s) => (typeof name === 'string' ? s.name === name : name.test(s.name)));
  if (found.length !== 1)
    throw new Error(
      `expected one span named ${name}, found ${found.length} among: ${spans.map((s) => s.name).join(', ')}`,
    );
  return found[0];
}

/** Whether `span` has a link to `target`. */
export function linksTo(span: ReadableSpan, target: ReadableSpan | SpanContext): boolean {
  const context = 'spanContext' in target ? target.spanContext() : target;
  return span.links.some((l) => l.context.traceId === context.traceId && l.context.spanId === context.spanId);
}

export const scopeOf = (span: ReadableSpan): string => span.instrumentationScope.name;
export const traceOf = (span: ReadableSpan): string => span.spanContext().traceId;

function compareTime(a: HrTime, b: HrTime): number {
  return a[0] - b[0] || a[1] - b[1];
}
