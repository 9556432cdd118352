/**
 * The runtime service's server span per request: it continues the caller's trace from the W3C
 * `traceparent` header (the bot's runtime client sends it), names the span by the route template
 * (`POST /v1/runtimes/:name/:action`), and records `http.server.request.duration`.
 *
 * A caller that sends a traceparent with the sampled flag off decided not to trace this request
 * (the bot does so for its background polls): the service records no span for it, whatever sampler
 * it runs (Azure Monitor's samples remote parents by trace id alone), and only counts it. Health
 * probes are not traced either: a load balancer asks every few seconds.
 */
import { context, propagation, type Context, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import type { Request, Response } from 'restify';
import { instruments } from './metrics';
import { telemetryOn } from './switch';
import { markFailed, secondsSince, tracer } from './tracer';

const PROBES = new Set(['/healthz', '/readyz']);

export async function serveTraced(req: Request, res: Response, run: () => Promise<void>): Promise<void> {
  if (!telemetryOn() || PROBES.has(req.path())) return run();
  const started = performance.now();
  const method = req.method ?? 'GET';
  const route = req.getRoute()?.path?.toString() ?? 'unknown';
  const caller = propagation.extract(ROOT_CONTEXT, req.headers);
  const span = declinedByCaller(caller)
    ? undefined
    : tracer('service').startSpan(
        `${method} ${route}`,
        {
          kind: SpanKind.SERVER,
          attributes: { 'http.request.method': method, 'http.route': route, 'runtime_service.request_id': req.id() },
        },
        caller,
      );
  try {
    await (span ? context.with(trace.setSpan(caller, span), run) : run());
  } finally {
    const status = res.statusCode;
    if (span) {
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) markFailed(span, String(status));
      span.end();
    }
    instruments().serverDuration.record(secondsSince(started), {
      'http.request.method': method,
      'http.route': route,
      'http.response.status_code': status,
    });
  }
}

function declinedByCaller(caller: Context): boolean {
  const parent = trace.getSpanContext(caller);
  return parent !== undefined && (parent.traceFlags & TraceFlags.SAMPLED) === 0;
}
