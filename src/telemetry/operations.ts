/**
 * The operation engine's steps (and the provider's sync) as spans, and `runtime.operation.duration`. A step that runs inside
 * the request that submitted the operation is a child of that request's span; a step a worker runs
 * later is the root of a trace of its own, linked to the submitting span stored on the record
 * (`traceparent`), so the request and every later step of one operation can be found from each other.
 */
import { SpanKind, trace } from '@opentelemetry/api';
import type { OperationRecord, StepOutcome } from '../service/model';
import { instruments } from './metrics';
import { telemetryOn } from './switch';
import { inSpan } from './tracer';
import { linksTo } from './traceparent';

const TERMINAL = new Set(['Succeeded', 'Failed']);

export function traceStep(op: OperationRecord, run: () => Promise<StepOutcome>): Promise<StepOutcome> {
  if (!telemetryOn()) return run();
  const inRequest = trace.getActiveSpan() !== undefined;
  const options = {
    kind: SpanKind.INTERNAL,
    root: !inRequest,
    links: inRequest ? [] : linksTo(op.traceparent),
    attributes: {
      'runtime.operation.id': op.id,
      'runtime.operation.kind': op.kind,
      'runtime.operation.phase': op.phase,
      'runtime.name': op.runtimeName,
    },
  };
  return inSpan('service', `operation ${op.kind} ${op.phase}`, options, async (span) => {
    const outcome = await run();
    span.setAttributes({
      ...(outcome.next ? { 'runtime.operation.next_phase': outcome.next.phase } : {}),
      ...(outcome.result ? { 'runtime.operation.status': outcome.result.ok ? 'Succeeded' : 'Failed' } : {}),
      ...(outcome.runtimeStatus ? { 'runtime.status': outcome.runtimeStatus } : {}),
    });
    return outcome;
  });
}

/**
 * The provider's periodic look at what changed outside the service (the azureml provider lists the
 * workspace): a root span per sync, so its Azure calls and their failures show up in traces too.
 */
export function traceSync<T extends unknown[]>(sync: () => Promise<T>): Promise<T> {
  if (!telemetryOn()) return sync();
  return inSpan('service', 'runtime sync', { kind: SpanKind.INTERNAL, root: true }, async (span) => {
    const changes = await sync();
    span.setAttribute('runtime.sync.changes', changes.length);
    return changes;
  });
}

/** Records the operation's duration once, when a step moved it to Succeeded or Failed. */
export function recordOperationEnd(before: OperationRecord, after: OperationRecord): void {
  if (!telemetryOn() || TERMINAL.has(before.status) || !TERMINAL.has(after.status)) return;
  const seconds = (Date.parse(after.endedOn ?? after.updatedOn) - Date.parse(after.createdOn)) / 1000;
  instruments().operationDuration.record(Math.max(0, seconds), {
    'runtime.operation.kind': after.kind,
    'runtime.operation.status': after.status,
    ...(after.error ? { 'error.type': after.error.code.slice(0, 64) } : {}),
  });
}
