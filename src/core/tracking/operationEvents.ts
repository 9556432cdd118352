/**
 * Which operations a page of the service's event log concerns: `operation.started` and
 * `operation.completed` carry the operation, and a step that moved its runtime
 * (`runtime.changed`, `runtime.deleted`) names it. Anything else concerns none.
 */
import type { ServiceEvent } from '../../domain/runtime';

export function operationIdsIn(events: readonly ServiceEvent[]): string[] {
  const ids = new Set<string>();
  for (const { data } of events) {
    const operation = data.operation as { id?: unknown } | undefined;
    if (typeof operation?.id === 'string') ids.add(operation.id);
    if (typeof data.operationId === 'string') ids.add(data.operationId);
  }
  return [...ids];
}
