/**
 * A fetch that makes a client span per request and sends the W3C `traceparent` (and `tracestate`)
 * of that span, so the server it calls continues the same trace. Spans are made only inside a
 * traced unit of work. A background poll with no span around it (the notifier reads events every
 * second) sends a traceparent with the sampled flag off, as an SDK does for a root it chose not to
 * sample: the service, whose sampler follows its caller, records nothing for it either, instead of
 * a root trace every second. Its metrics still count it.
 */
import { randomBytes } from 'node:crypto';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { telemetryOn } from './switch';
import { type Component, failSpan, markFailed, tracer } from './tracer';

/** Names a URL by its route (`/v1/runtimes/{name}`), for span names and metric labels. */
export type UrlTemplate = (url: URL) => string;

export function tracedFetch(fetchImpl: typeof fetch, component: Component, template: UrlTemplate): typeof fetch {
  if (!telemetryOn()) return fetchImpl;
  return async (input, init = {}) => {
    if (!trace.getActiveSpan()) return fetchImpl(input, { ...init, headers: withHeaders(init.headers, unsampled()) });
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const route = template(url);
    const span = tracer(component).startSpan(`${method} ${route}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        'url.template': route,
        'server.address': url.hostname,
        ...(url.port ? { 'server.port': Number(url.port) } : {}),
      },
    });
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), span), carrier);
    try {
      const response = await fetchImpl(input, { ...init, headers: withHeaders(init.headers, carrier) });
      span.setAttribute('http.response.status_code', response.status);
      if (response.status >= 500) markFailed(span, String(response.status));
      return response;
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  };
}

/** A fresh root context with the sampled flag off. */
const unsampled = () => ({ traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00` });

/** Adds headers in the form the caller used: callers (and test doubles) read them back that way. */
function withHeaders(headers: RequestInit['headers'], extra: Record<string, string>): RequestInit['headers'] {
  if (headers instanceof Headers) {
    const copy = new Headers(headers);
    for (const [k, v] of Object.entries(extra)) copy.set(k, v);
    return copy;
  }
  if (Array.isArray(headers)) return [...headers, ...Object.entries(extra)];
  return { ...headers, ...extra };
}

/** Runtime service paths: the runtime name and the operation id become placeholders. */
export const serviceUrlTemplate: UrlTemplate = (url) =>
  url.pathname
    .replace(/^\/v1\/runtimes\/[^/]+/, '/v1/runtimes/{name}')
    .replace(/^\/v1\/operations\/[^/]+/, '/v1/operations/{id}');
