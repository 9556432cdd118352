/**
 * Starts OpenTelemetry when the configuration asks for it, and not otherwise: with neither
 * OTEL_EXPORTER_OTLP_ENDPOINT nor APPLICATIONINSIGHTS_CONNECTION_STRING no SDK module is even
 * loaded (they are required here, on demand), the API stays on its no-op tracer and meter, and
 * the composition roots apply no wrapper at all.
 *
 * Both exporters go through `@opentelemetry/sdk-node` (Azure Monitor's distro is built on it): OTLP
 * over HTTP to `<endpoint>/v1/traces` and `/v1/metrics`, Azure Monitor through
 * `@azure/monitor-opentelemetry`, or both at once. No automatic instrumentation is installed: the
 * product's own spans (telemetry/*.ts) cover the HTTP hops, the engine, Azure and storage, and
 * patching modules that are already loaded would be unreliable. The standard OTEL_* variables
 * (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER, OTEL_EXPORTER_OTLP_HEADERS…)
 * keep their meaning.
 *
 * Call it first, before the apps are built: wrappers decide once, when they are applied.
 */
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TelemetryConfig } from '../config';
import { markTelemetryOn } from './switch';

export interface Telemetry {
  /** Where spans and metrics go: `otlp`, `azure-monitor`, `custom` (tests); empty when off. */
  readonly exporters: string[];
  /** Exports what is buffered and stops the SDK; call it on shutdown. */
  shutdown(): Promise<void>;
}

/** Extra destinations, for tests: an in-memory span exporter, a metric reader collected by hand. */
export interface TelemetryDestinations {
  spanProcessors?: SpanProcessor[];
  metricReaders?: MetricReader[];
}

const OFF: Telemetry = { exporters: [], shutdown: async () => undefined };

export function startTelemetry(
  config: TelemetryConfig,
  serviceName: string,
  extra: TelemetryDestinations = {},
): Telemetry {
  const spanProcessors = [...(extra.spanProcessors ?? [])];
  const metricReaders = [...(extra.metricReaders ?? [])];
  const exporters = spanProcessors.length || metricReaders.length ? ['custom'] : [];
  if (config.otlpEndpoint) {
    const otlp = otlpDestinations(config.otlpEndpoint);
    spanProcessors.push(otlp.spanProcessor);
    metricReaders.push(otlp.metricReader);
    exporters.push('otlp');
  }
  if (!exporters.length && !config.azureMonitorConnectionString) return OFF;
  markTelemetryOn();
  const resource = serviceResource(serviceName);
  if (config.azureMonitorConnectionString) {
    const monitor = load('@azure/monitor-opentelemetry') as typeof import('@azure/monitor-opentelemetry');
    monitor.useAzureMonitor({
      azureMonitorExporterOptions: { connectionString: config.azureMonitorConnectionString },
      resource,
      spanProcessors,
      metricReaders,
      instrumentationOptions: NO_AUTOMATIC_INSTRUMENTATION,
      // Every trace, as with OTLP, instead of the distro's 5 traces a second: that limiter decides per
      // process and ignores the caller's decision, so the bot's and the service's halves of one trace
      // would be kept or dropped apart. OTEL_TRACES_SAMPLER (e.g. microsoft.fixed_percentage, which
      // decides by trace id, the same way in every process) still overrides this.
      samplingRatio: 1,
      tracesPerSecond: 0,
    });
    return { exporters: [...exporters, 'azure-monitor'], shutdown: () => monitor.shutdownAzureMonitor() };
  }
  const { NodeSDK } = load('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({ resource, spanProcessors, metricReaders, logRecordProcessors: [], instrumentations: [] });
  sdk.start();
  return { exporters, shutdown: () => sdk.shutdown() };
}

/** Batched spans and a periodic metric export to an OTLP/HTTP receiver (a Collector, port 4318). */
function otlpDestinations(endpoint: string): { spanProcessor: SpanProcessor; metricReader: MetricReader } {
  const traces = load(
    '@opentelemetry/exporter-trace-otlp-http',
  ) as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const metrics = load(
    '@opentelemetry/exporter-metrics-otlp-http',
  ) as typeof import('@opentelemetry/exporter-metrics-otlp-http');
  const base = load('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const sdkMetrics = load('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  return {
    spanProcessor: new base.BatchSpanProcessor(new traces.OTLPTraceExporter({ url: `${endpoint}/v1/traces` })),
    metricReader: new sdkMetrics.PeriodicExportingMetricReader({
      exporter: new metrics.OTLPMetricExporter({ url: `${endpoint}/v1/metrics` }),
    }),
  };
}

/** The SDK's default resource named for this process; OTEL_SERVICE_NAME still wins over it. */
function serviceResource(serviceName: string) {
  const resources = load('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  return resources.defaultResource().merge(resources.resourceFromAttributes({ 'service.name': serviceName }));
}

/** Everything the Azure Monitor distro would patch by default, off (see the file comment). */
const NO_AUTOMATIC_INSTRUMENTATION = {
  http: { enabled: false },
  azureSdk: { enabled: false },
  mongoDb: { enabled: false },
  mySql: { enabled: false },
  postgreSql: { enabled: false },
  redis: { enabled: false },
  redis4: { enabled: false },
  bunyan: { enabled: false },
  winston: { enabled: false },
  console: { enabled: false },
};

function load(name: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand: never while telemetry is off
  return require(name);
}
