/**
 * The two tracers (one per side, so a trace shows which spans the bot made and which the runtime
 * service made even when both run in one process) and the span helper every wrapper uses.
 *
 * A failed span records only the error's code or class as `error.type`, never its message: messages
 * may quote user input or an Azure answer, and spans leave the process.
 */
import { type Span, type SpanOptions, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { AppError } from '../errors';

export type Component = 'bot' | 'service';

const SCOPES: Record<Component, string> = {
  bot: 'promptflow-runtime-bot',
  service: 'promptflow-runtime-service',
};

export function tracer(component: Component): Tracer {
  return trace.getTracer(SCOPES[component]);
}

/** Runs `fn` in a new active span, ends it, and marks it failed when `fn` throws. */
export function inSpan<T>(
  component: Component,
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer(component).startActiveSpan(name, options, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

export function failSpan(span: Span, error: unknown): void {
  markFailed(span, errorType(error));
}

/** Marks a span failed with a type: an error code, a class name or an HTTP status. */
export function markFailed(span: Span, type: string): void {
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** A low-cardinality name for an error: the AppError code, or the class name. */
export function errorType(error: unknown): string {
  if (error instanceof AppError) return error.code;
  if (error instanceof Error) return error.name;
  return 'unknown';
}

/** Seconds since a `performance.now()` reading: the unit OpenTelemetry's duration metrics use. */
export function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}
