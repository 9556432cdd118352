/**
 * Steps due at once run back to back under one lease, with one write of the operation record for
 * all of them; a step that hands state to the next one (a write it must not send twice) is
 * stored before the next one runs, so that a crash never repeats what that state guards.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/clock';
import { createLogger } from '../../../src/logger';
import { EventLog } from '../../../src/service/events/eventLog';
import type { OperationRecord, RuntimeRecord, StepOutcome } from '../../../src/service/model';
import { OperationEngine } from '../../../src/service/operations/engine';
import type { RuntimeProvider } from '../../../src/service/providers/provider';
import type { RuntimeIndex } from '../../../src/service/readModel/readModel';
import { Collection } from '../../../src/storage/collection';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { CountingStorage } from '../../helpers/countingStorage';
import { ACTORS } from '../../helpers/service';

/** A provider whose phases are scripted: begin → send (hands on `sent`) → check → confirm → done. */
function scripted(storage: MemoryStorage, seen: string[]): RuntimeProvider {
  const operations = new Collection<OperationRecord>(storage, 'operations');
  const script: Record<string, StepOutcome> = {
    begin: { message: 'Sending', next: { phase: 'check', waitMs: 0, state: { sent: true } } },
    check: { message: 'Checking', next: { phase: 'confirm', waitMs: 0 } },
    confirm: { message: 'Confirming', runtimeStatus: 'Running', next: { phase: 'done', waitMs: 0 } },
    done: { message: 'Running', runtimeStatus: 'Running', result: { ok: true } },
  };
  return {
    name: 'local',
    reference: {} as RuntimeProvider['reference'],
    async prepare(_kind, name, input, actor) {
      const now = new Date(0).toISOString();
      const initial = { name, type: 'automatic', status: 'Creating', owner: actor, createdOn: now, modifiedOn: now };
      return { input, warnings: [], initial: initial as unknown as RuntimeRecord };
    },
    async step(op) {
      const stored = (await operations.all())[0];
      seen.push(`${op.phase} (stored: ${stored.phase}${stored.state?.sent ? ', sent' : ''})`);
      return script[op.phase];
    },
    async systemWork() {
      return [];
    },
    async health() {
      return { ok: true, detail: 'scripted' };
    },
  };
}

const noIndex: RuntimeIndex = {
  records: () => [],
  refresh: async () => undefined,
  get: () => undefined,
  stored: () => undefined,
  lockedSince: () => [],
};

describe('steps due at once', () => {
  it('should run back to back with one write, after storing the state a step hands on', async () => {
    const inner = new MemoryStorage();
    const storage = new CountingStorage(inner);
    const clock = new FakeClock();
    const events = new EventLog(storage, clock);
    const seen: string[] = [];
    const engine = new OperationEngine(storage, scripted(inner, seen), events, clock, createLogger('silent'), noIndex);
    const { operation } = await engine.submit({
      kind: 'create',
      runtimeName: 'chain-rt',
      input: {},
      actor: ACTORS.alex,
      fingerprint: 'f',
    });
    await events.settled();
    await events.stop();
    expect(operation.status).toBe('Succeeded');
    expect(seen).toEqual([
      'begin (stored: begin)',
      'check (stored: check, sent)', // stored before it ran: `sent` survives a crash here
      'confirm (stored: check, sent)', // chained: no write between check and confirm
      'done (stored: check, sent)',
    ]);
    // Created (with the lease), after `begin`, after the chain to the end.
    expect(storage.count('write', 'operations/')).toBe(3);
    const stored = (await engine.operations.get(operation.id))!;
    expect(stored.steps.map((s) => s.message)).toEqual(['Accepted', 'Sending', 'Checking', 'Confirming', 'Running']);
    expect(stored.lease).toBeUndefined();
    const types = (await events.after('0')).map((e) => `${e.type}${e.data.status ? `:${e.data.status}` : ''}`);
    expect(types).toEqual([
      'operation.started',
      'runtime.changed:Running',
      'runtime.changed:Running',
      'operation.completed',
    ]);
  });
});
