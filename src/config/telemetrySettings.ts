/** Where traces and metrics go (src/telemetry); nothing unless an exporter is configured. */
import type { EnvReader } from './reader';
import type { TelemetryConfig } from './types';

/**
 * OTEL_EXPORTER_OTLP_ENDPOINT and APPLICATIONINSIGHTS_CONNECTION_STRING; OTEL_SDK_DISABLED=true turns
 * both off. A bad connection string is reported without its text: it holds the instrumentation key.
 */
export function telemetry(env: EnvReader): TelemetryConfig {
  const disabled = env.bool('OTEL_SDK_DISABLED', false);
  const endpoint = env.str('OTEL_EXPORTER_OTLP_ENDPOINT');
  const connection = env.str('APPLICATIONINSIGHTS_CONNECTION_STRING');
  const out: TelemetryConfig = {};
  if (endpoint) {
    const url = URL.canParse(endpoint) ? new URL(endpoint) : undefined;
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.search || url.hash)
      env.problems.push(
        `OTEL_EXPORTER_OTLP_ENDPOINT must be the base http(s) URL of an OTLP/HTTP receiver, like http://collector:4318 (got "${endpoint.slice(0, 200)}")`,
      );
    else out.otlpEndpoint = url.href.replace(/\/+$/, '');
  }
  if (connection) {
    if (!/(?:^|;)\s*InstrumentationKey\s*=\s*[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}\s*(?:;|$)/i.test(connection))
      env.problems.push(
        'APPLICATIONINSIGHTS_CONNECTION_STRING must be the connection string of an Application Insights resource (InstrumentationKey=…;IngestionEndpoint=…), as the Azure portal shows it',
      );
    else out.azureMonitorConnectionString = connection;
  }
  return disabled ? {} : out;
}
