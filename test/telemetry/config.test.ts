/** The telemetry settings: off by default, each exporter turned on by its variable, bad values explained. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';

const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: '/nonexistent', ...env });
const CONNECTION =
  'InstrumentationKey=11111111-2222-3333-4444-555555555555;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/;LiveEndpoint=https://westeurope.livediagnostics.monitor.azure.com/';

function problemsOf(env: Record<string, string>): string {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

describe('telemetry settings', () => {
  it('should be off with neither exporter set', () => {
    expect(load({}).telemetry).toEqual({});
  });

  it('should take the OTLP endpoint as a base URL, without its trailing slash', () => {
    expect(load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).telemetry).toEqual({
      otlpEndpoint: 'http://collector:4318',
    });
    expect(load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com/otlp' }).telemetry.otlpEndpoint).toBe(
      'https://otlp.example.com/otlp',
    );
  });

  it('should take an Application Insights connection string, and both exporters at once', () => {
    const both = load({
      APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
    });
    expect(both.telemetry).toEqual({ azureMonitorConnectionString: CONNECTION, otlpEndpoint: 'http://c:4318' });
  });

  it('should turn both off with OTEL_SDK_DISABLED=true', () => {
    const env = { APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    expect(load({ ...env, OTEL_SDK_DISABLED: 'true' }).telemetry).toEqual({});
  });

  it.each([
    ['collector:4318', /OTEL_EXPORTER_OTLP_ENDPOINT must be the base http\(s\) URL.*"collector:4318"/],
    ['grpc://collector:4317', /OTEL_EXPORTER_OTLP_ENDPOINT must be the base http\(s\) URL/],
    ['http://collector:4318/?x=1', /OTEL_EXPORTER_OTLP_ENDPOINT must be the base http\(s\) URL/],
  ])('should refuse the OTLP endpoint %s', (value, message) => {
    expect(problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: value })).toMatch(message);
  });

  it('should refuse a connection string without an instrumentation key, and not repeat it', () => {
    const secretish = 'IngestionEndpoint=https://x.example/;ApiKey=do-not-print-me';
    const message = problemsOf({ APPLICATIONINSIGHTS_CONNECTION_STRING: secretish });
    expect(message).toMatch(/APPLICATIONINSIGHTS_CONNECTION_STRING must be the connection string/);
    expect(message).not.toContain('do-not-print-me');
    expect(problemsOf({ APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=not-a-guid' })).toMatch(
      /APPLICATIONINSIGHTS_CONNECTION_STRING/,
    );
  });

  it('should check a long hostile connection string quickly (no backtracking)', () => {
    const hostile = `InstrumentationKey=${'0'.repeat(8)}-${'; '.repeat(50_000)}`;
    expect(problemsOf({ APPLICATIONINSIGHTS_CONNECTION_STRING: hostile })).toMatch(/APPLICATIONINSIGHTS/);
  });
});
