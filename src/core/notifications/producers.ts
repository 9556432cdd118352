/**
 * What deserves a notification, and what it says: service events (new versions, failures, idle
 * stops) and the scheduled checks (idle warnings, the daily digest). Each notification has an id
 * derived from what it is about, so whoever produces it first queues it and everyone else finds it.
 */
import type { RuntimeClient } from '../../client/runtimeClient';
import type { RetirementConfig } from '../../config';
import type { OperationSummary, Runtime, ServiceEvent } from '../../domain/runtime';
import type { OnCallSummary } from '../../domain/summary';
import type { Reply, RuntimeAlert } from '../replies';
import { retirementStatus } from '../retirement/calendar';
import type { Topic } from './topics';

export interface Produced {
  id: string;
  topic: Topic;
  reply: Reply;
}

const REASON_CHARS = 1500;
const SYSTEM = 'system';

/** The notifications one service event calls for (usually none or one). */
export async function fromEvent(event: ServiceEvent, client: RuntimeClient): Promise<Produced[]> {
  const d = event.data;
  if (event.type === 'image.released' && d.isLatest === true && typeof d.tag === 'string') {
    const report = await client.versions();
    // The card shows the new version's notes; the rest of the history stays out of the queue.
    const versions = report.versions.filter((v) => v.tag === d.tag || v.tag === report.latest);
    return [
      {
        id: `version-${d.tag}`,
        topic: 'versions',
        reply: {
          kind: 'versions',
          report: { ...report, versions },
          canUpgrade: true,
          notice: { tag: d.tag, ...(typeof d.previousLatest === 'string' ? { previousLatest: d.previousLatest } : {}) },
        },
      },
    ];
  }
  if (event.type === 'operation.completed' && typeof d.runtimeName === 'string') {
    const op = d.operation as OperationSummary | undefined;
    if (!op) return [];
    if (op.status === 'Failed') return [alert(`failure-${op.id}`, failureOf(d.runtimeName, op))];
    if (op.status === 'Succeeded' && op.kind === 'stop' && op.requestedBy.objectId === SYSTEM) {
      const at = op.endedOn ?? event.time;
      // Stopping deletes the runtime and releases its compute: there is nothing left to act on.
      return [alert(`idle-stopped-${op.id}`, { kind: 'idleStopped', runtime: d.runtimeName, at, actions: [] }, 'idle')];
    }
  }
  // A runtime that breaks without an operation of ours (its compute instance was stopped, say).
  if (
    event.type === 'runtime.changed' &&
    typeof d.runtimeName === 'string' &&
    !d.operationId &&
    (d.status === 'Failed' || d.status === 'Unavailable')
  ) {
    const reason = typeof d.message === 'string' ? d.message : undefined;
    return [
      alert(`unavailable-${event.id}`, {
        kind: 'failure',
        runtime: d.runtimeName,
        at: event.time,
        ...(reason ? { reason: `${d.status}: ${reason}` } : {}),
        actions: ['view'],
      }),
    ];
  }
  return [];
}

function failureOf(runtime: string, op: OperationSummary): RuntimeAlert {
  const details = op.error?.details ? `\n${op.error.details}` : '';
  const reason = `${op.error?.message ?? 'No reason was given.'}${details}`;
  return {
    kind: 'failure',
    runtime,
    at: op.endedOn ?? op.createdOn,
    reason: reason.length > REASON_CHARS ? `${reason.slice(0, REASON_CHARS)}…` : reason,
    by: op.requestedBy.name ?? op.requestedBy.objectId,
    operationKind: op.kind,
    actions: op.kind === 'reset' ? ['view', 'retry'] : ['view', 'retry', 'reset'],
  };
}

function alert(id: string, a: RuntimeAlert, topic: Topic = 'failures'): Produced {
  return { id, topic, reply: { kind: 'alert', alert: a } };
}

/** Automatic runtimes whose idle shutdown is less than `windowMs` away. */
export function idleWarnings(runtimes: Runtime[], now: number, windowMs: number): Produced[] {
  return runtimes
    .filter((r) => r.idleShutdownAt && !r.activeOperation)
    .filter((r) => {
      const at = Date.parse(r.idleShutdownAt!);
      return at > now && at - now <= windowMs;
    })
    .map((r) =>
      alert(
        `idle-warning-${r.name}-${Date.parse(r.idleShutdownAt!)}`,
        { kind: 'idleWarning', runtime: r.name, at: r.idleShutdownAt!, actions: ['view', 'reset'] },
        'idle',
      ),
    );
}

/**
 * Today's digest once its time has come (and until 12 hours later: a late start still sends it), with
 * the retirement line when a calendar is given.
 */
export function dailyDigest(
  summary: () => Promise<OnCallSummary>,
  now: number,
  digestTime: string | undefined,
  retirement?: RetirementConfig,
) {
  if (!digestTime) return undefined;
  const [hh, mm] = digestTime.split(':').map(Number);
  const day = new Date(now);
  const today = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hh, mm);
  // The latest due time that has passed: yesterday's, before today's time (a 23:00 digest at 02:00).
  const due = now >= today ? today : today - 86_400_000;
  if (now > due + 12 * 3_600_000) return undefined;
  const id = `digest-${new Date(due).toISOString().slice(0, 10)}`;
  return {
    id,
    async produce(): Promise<Produced> {
      const s = await summary();
      return {
        id,
        topic: 'digest',
        reply: {
          kind: 'summary',
          summary: s,
          title: 'Daily on-call digest',
          ...(retirement ? { retirement: retirementStatus(retirement, now, s.total) } : {}),
        },
      };
    },
  };
}
