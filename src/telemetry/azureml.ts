/**
 * Metrics and span names of the Azure ML API calls (providers/azureml/client.ts): the latency of
 * every attempt and the count of retries, labelled by the path's template, never by a runtime name,
 * workspace or subscription.
 */
import { instruments } from './metrics';
import { telemetryOn } from './switch';

/** Words that stand where a runtime name would: `/FlowRuntimes/latestConfig` is not a runtime. */
const FIXED = new Set(['latestConfig', 'checkCiAvailability']);

/**
 * `/subscriptions/…/workspaces/ws/FlowSessions/chat-dev/Install/locations/eastus/operations/<guid>`
 * → `/FlowSessions/{name}/Install/locations/eastus/operations/{id}`.
 */
export function azurePathTemplate(pathname: string): string {
  const inWorkspace = pathname.replace(/^.*\/workspaces\/[^/]+/, '');
  const [, collection, name, ...rest] = inWorkspace.split('/');
  if (!collection) return '/';
  if (!name) return `/${collection}`;
  const tail = rest.map((segment) => (/^[A-Za-z]{1,40}$/.test(segment) ? segment : '{id}'));
  return ['', collection, FIXED.has(name) ? name : '{name}', ...tail].join('/');
}

export const azureUrlTemplate = (url: URL): string => azurePathTemplate(url.pathname);

export interface AzureAttempt {
  method: string;
  /** The request path (with or without the workspace prefix). */
  path: string;
  attempt: number;
  ms: number;
  status?: number;
  /** Set when no HTTP answer came back (timeout, refused or reset connection). */
  failed?: boolean;
}

export function recordAzureAttempt(a: AzureAttempt): void {
  if (!telemetryOn()) return;
  const labels = { 'http.request.method': a.method, 'url.template': azurePathTemplate(a.path) };
  instruments().azureDuration.record(a.ms / 1000, {
    ...labels,
    ...(a.status !== undefined ? { 'http.response.status_code': a.status } : {}),
    ...(a.failed ? { 'error.type': 'transport' } : {}),
  });
  if (a.attempt > 1) instruments().azureRetries.add(1, labels);
}
