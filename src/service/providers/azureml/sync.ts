/**
 * Mirrors Azure into the service's runtime records, so that runtimes created, changed or deleted
 * outside the bot (studio, SDK, CLI, idle shutdown) show up in its list and cards:
 * - every FlowRuntimes entry (compute-instance and deployment runtimes) is added or merged; one
 *   that reads NotExist (a deleted runtime is listed so for a while) counts as not listed;
 * - sessions cannot be listed, so each automatic runtime the service knows is read with
 *   GET FlowSessions/{name}; a 404 means Azure deleted it (idle shutdown) or someone stopped it.
 *   Otherwise only its facts are taken (VM size, idle time, last use, image), never a status: the
 *   session shows none, and its compute's state belongs to a compute that hosts other sessions;
 * - a record that Azure no longer has is removed.
 * A record with an operation in progress is never touched: the operation owns it. Neither is one
 * whose last operation ended after the list was read, since the list may predate that change.
 */
import { iso } from '../../../clock';
import { type Collection, UNCHANGED } from '../../../storage/collection';
import { type RuntimeRecord, runtimeKey } from '../../model';
import type { RuntimeChange } from '../provider';
import type { AzureMlClient } from './client';
import { azureStatusOf } from './errors';
import {
  azureView,
  type FlowRuntimeDto,
  progressOf,
  recordFromDto,
  sessionPatch,
  type TrainingSessionDto,
} from './mapping';

export interface SyncContext {
  client: AzureMlClient;
  runtimes: Collection<RuntimeRecord>;
  now: () => number;
}

export interface SyncResult {
  changes: RuntimeChange[];
  /** FlowRuntimes entries that cannot be records: an unknown runtime type, or a name the service cannot address. */
  skipped: string[];
}

export async function syncRuntimes(ctx: SyncContext): Promise<SyncResult> {
  const readAt = ctx.now();
  const list = (await ctx.client.call<FlowRuntimeDto[]>('GET', '/FlowRuntimes', { what: 'the runtime list' })).body;
  const changes: RuntimeChange[] = [];
  const skipped: string[] = [];
  const listed = new Set<string>();
  for (const dto of Array.isArray(list) ? list : []) {
    if (progressOf(dto.status) === 'gone') continue;
    const probe = recordFromDto(dto, iso(readAt));
    if (!probe) {
      skipped.push(`${String(dto.runtimeName ?? '?').slice(0, 64)} (${String(dto.runtimeType ?? 'no type')})`);
      continue;
    }
    const key = runtimeKey(probe.name);
    listed.add(key);
    let change: RuntimeChange | undefined;
    await ctx.runtimes.update(key, (current) => {
      change = undefined;
      if (current && !settled(current, readAt)) return UNCHANGED;
      const next = recordFromDto(dto, iso(readAt), current);
      if (!next || (current && azureView(current) === azureView(next))) return UNCHANGED;
      change = {
        runtimeName: next.name,
        status: String(next.status),
        kind: current ? 'changed' : 'added',
        message: current ? `changed in Azure ML: ${next.status}` : `found in Azure ML: ${next.status}`,
      };
      return next;
    });
    if (change) changes.push(change);
  }
  for (const record of await ctx.runtimes.all()) {
    const key = runtimeKey(record.name);
    if (listed.has(key) || !settled(record, readAt)) continue;
    if (record.type !== 'automatic') {
      if (await remove(ctx, key, readAt)) changes.push(gone(record.name, 'no longer in Azure ML'));
      continue;
    }
    const session = await readSession(ctx, record.name);
    if (session === 'unknown') continue;
    if (session === 'gone') {
      if (await remove(ctx, key, readAt))
        changes.push(gone(record.name, 'its session ended in Azure ML (idle shutdown or stopped elsewhere)'));
      continue;
    }
    const change = await mergeSession(ctx, key, session, readAt);
    if (change) changes.push(change);
  }
  return { changes, skipped };
}

/** May the sync write this record? Not while an operation owns it, nor just after one ended. */
function settled(record: RuntimeRecord, readAt: number): boolean {
  if (record.activeOperation) return false;
  const ended = record.lastOperation?.endedOn ? Date.parse(record.lastOperation.endedOn) : 0;
  return ended < readAt;
}

async function readSession(ctx: SyncContext, name: string): Promise<TrainingSessionDto | 'gone' | 'unknown'> {
  try {
    const res = await ctx.client.call<TrainingSessionDto>('GET', `/FlowSessions/${encodeURIComponent(name)}`, {
      what: `automatic runtime ${name}`,
    });
    return res.body ?? {};
  } catch (error) {
    return azureStatusOf(error) === 404 ? 'gone' : 'unknown';
  }
}

/** Session facts (VM size, idle time, last use, image); the status stays what the service's operations made it. */
async function mergeSession(
  ctx: SyncContext,
  key: string,
  dto: TrainingSessionDto,
  readAt: number,
): Promise<RuntimeChange | undefined> {
  let change: RuntimeChange | undefined;
  await ctx.runtimes.update(key, (current) => {
    change = undefined;
    if (!current || !settled(current, readAt)) return UNCHANGED;
    const next: RuntimeRecord = { ...current, ...sessionPatch(dto) };
    if (azureView(next) === azureView(current)) return UNCHANGED;
    change = {
      runtimeName: current.name,
      status: String(current.status),
      kind: 'changed',
      message: 'its session changed in Azure ML',
    };
    return { ...next, modifiedOn: iso(ctx.now()) };
  });
  return change;
}

/** Deletes the record unless an operation claimed it in the meantime. */
async function remove(ctx: SyncContext, key: string, readAt: number): Promise<boolean> {
  const fresh = await ctx.runtimes.get(key);
  if (!fresh || !settled(fresh, readAt)) return false;
  await ctx.runtimes.delete(key);
  return true;
}

function gone(name: string, why: string): RuntimeChange {
  return { runtimeName: name, status: 'NotExist', kind: 'deleted', message: `${name} was deleted: ${why}` };
}
