/** Operation records for the engine parts' unit tests: one runtime, chat-dev, at a fixed time. */
import { iso } from '../../../src/clock';
import type { OperationRecord, RuntimeRecord } from '../../../src/service/model';
import { ACTORS } from '../../helpers/service';

export const NOW = Date.parse('2026-11-23T09:00:00Z');

/** A running reset of chat-dev, created a second ago and due now; `over` changes any field. */
export function operationRecord(over: Partial<OperationRecord> = {}): OperationRecord {
  return {
    id: 'op-1',
    kind: 'reset',
    runtimeName: 'chat-dev',
    runtimeKey: 'chat-dev',
    status: 'Running',
    requestedBy: ACTORS.alex,
    createdOn: iso(NOW - 1000),
    updatedOn: iso(NOW - 1000),
    input: {},
    warnings: [],
    steps: [],
    phase: 'reset',
    dueAt: NOW,
    fingerprint: 'f',
    ...over,
  };
}

/** chat-dev, running, with its lock taken by `op` `lockedAgoMs` ago. */
export function lockedRuntime(op: OperationRecord, lockedAgoMs: number): RuntimeRecord {
  const since = (ms: number) => iso(NOW - ms);
  const lock = { id: op.id, kind: op.kind, status: 'Running' as const, requestedBy: ACTORS.alex };
  const identity = { name: 'chat-dev', type: 'automatic', status: 'Running', owner: ACTORS.alex };
  const times = { createdOn: since(3_600_000), modifiedOn: since(3_600_000) };
  return { ...identity, ...times, activeOperation: { ...lock, createdOn: since(lockedAgoMs) } } as RuntimeRecord;
}
