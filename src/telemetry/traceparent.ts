/**
 * Span contexts kept in storage, as W3C `traceparent` strings. Work that runs later (an operation's
 * steps, a card update, a queued notification) links back to the span that asked for it, even in
 * another replica or after a restart. The stored form does not depend on OTEL_PROPAGATORS.
 */
import { isSpanContextValid, type Link, type SpanContext, trace } from '@opentelemetry/api';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** `{ traceparent }` of the active span, to spread into a record; `{}` when no span is active. */
export function traceparentField(): { traceparent?: string } {
  const context = trace.getActiveSpan()?.spanContext();
  if (!context || !isSpanContextValid(context)) return {};
  const flags = (context.traceFlags & 0xff).toString(16).padStart(2, '0');
  return { traceparent: `00-${context.traceId}-${context.spanId}-${flags}` };
}

export function spanContextOf(traceparent: string | undefined): SpanContext | undefined {
  const match = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!match) return undefined;
  const context = { traceId: match[1], spanId: match[2], traceFlags: parseInt(match[3], 16), isRemote: true };
  return isSpanContextValid(context) ? context : undefined;
}

/** Span links to the stored contexts that are valid; a missing or damaged one is skipped. */
export function linksTo(...traceparents: (string | undefined)[]): Link[] {
  return traceparents.flatMap((t) => {
    const context = spanContextOf(t);
    return context ? [{ context }] : [];
  });
}

/** Links the active span (a turn that approves a request, say) to a stored context. */
export function linkActiveSpan(traceparent: string | undefined): void {
  const span = trace.getActiveSpan();
  if (span) span.addLinks(linksTo(traceparent));
}
