/**
 * The names telemetry gives things: stored trace contexts (and what happens to a damaged one), and
 * the URL templates that stand in span names and metric labels for paths that hold runtime names.
 */
import { describe, expect, it } from 'vitest';
import { azurePathTemplate } from '../../src/telemetry/azureml';
import { serviceUrlTemplate } from '../../src/telemetry/httpClient';
import { linksTo, spanContextOf, traceparentField } from '../../src/telemetry/traceparent';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('stored trace contexts', () => {
  it('should read a W3C traceparent back as a remote span context', () => {
    expect(spanContextOf(VALID)).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
      isRemote: true,
    });
    expect(linksTo(VALID, undefined)).toHaveLength(1);
  });

  it.each([
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['an all-zero span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['upper case', VALID.toUpperCase()],
    ['another version', VALID.replace(/^00/, 'ff')],
    ['trailing text', `${VALID}-extra`],
    ['nothing', ''],
  ])('should skip %s rather than link to it', (_label, value) => {
    expect(spanContextOf(value)).toBeUndefined();
    expect(linksTo(value)).toEqual([]);
  });

  it('should store nothing outside a span', () => {
    expect(traceparentField()).toEqual({});
  });
});

describe('URL templates', () => {
  it.each([
    ['/v1/runtimes/chat-dev', '/v1/runtimes/{name}'],
    ['/v1/runtimes/chat-dev/install', '/v1/runtimes/{name}/install'],
    ['/v1/operations/8b0c2f1e-1f0e-4c36-9f43-7d7a1c2a9e11', '/v1/operations/{id}'],
    ['/v1/runtimes', '/v1/runtimes'],
    ['/v1/summary', '/v1/summary'],
  ])('should name the service path %s as %s', (path, template) => {
    expect(serviceUrlTemplate(new URL(path, 'http://127.0.0.1:3979'))).toBe(template);
  });

  const WS = '/flow/api/subscriptions/0000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';
  it.each([
    [`${WS}/FlowRuntimes`, '/FlowRuntimes'],
    [`${WS}/FlowRuntimes/my-runtime`, '/FlowRuntimes/{name}'],
    [`${WS}/FlowRuntimes/my-runtime/needUpgrade`, '/FlowRuntimes/{name}/needUpgrade'],
    [`${WS}/FlowRuntimes/latestConfig`, '/FlowRuntimes/latestConfig'],
    [`${WS}/FlowRuntimes/checkCiAvailability`, '/FlowRuntimes/checkCiAvailability'],
    [
      `${WS}/FlowSessions/chat-dev/Install/locations/eastus/operations/6f1c0d2e-98a1-4b0e-a1f2-0c3d4e5f6a7b`,
      '/FlowSessions/{name}/Install/locations/eastus/operations/{id}',
    ],
    ['/FlowSessions/chat-dev', '/FlowSessions/{name}'],
  ])('should name the Azure ML path %s without the workspace or the runtime', (path, template) => {
    expect(azurePathTemplate(path)).toBe(template);
  });
});
