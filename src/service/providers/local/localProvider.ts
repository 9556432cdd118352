/**
 * The `local` provider: an emulator of the prompt flow runtime service, as Azurite is of Azure
 * Storage. Its state is the runtime records themselves, in the shared storage.
 */
import { type Clock, iso } from '../../../clock';
import type { Person } from '../../../domain/runtime';
import { AppError, ErrorCode, notFound } from '../../../errors';
import { Collection, UNCHANGED } from '../../../storage/collection';
import type { Storage } from '../../../storage/storage';
import type { OperationRecord, PreparedOperation, RuntimeRecord, StepOutcome, SystemRequest } from '../../model';
import type { VersionStore } from '../../versions/versionStore';
import type { PrepareArgs, RuntimeProvider } from '../provider';
import { prepareLocal } from './prepare';
import { type LocalTimings, stepLocal } from './steps';
import { LocalWorkspace } from './workspace';

export interface LocalProviderOptions {
  storage: Storage;
  clock: Clock;
  versions: VersionStore;
  workspaceFile: string;
  timings: LocalTimings;
}

export class LocalProvider implements RuntimeProvider {
  readonly name = 'local' as const;
  readonly reference: LocalWorkspace;
  private readonly runtimes: Collection<RuntimeRecord>;

  constructor(private readonly options: LocalProviderOptions) {
    this.reference = new LocalWorkspace(options.storage, options.workspaceFile);
    this.runtimes = new Collection(options.storage, 'runtimes');
  }

  prepare(...args: PrepareArgs): Promise<PreparedOperation> {
    return prepareLocal(args, {
      workspace: this.reference,
      latestVersion: () => this.options.versions.latest(),
      knownVersion: (tag) => this.options.versions.has(tag),
      now: iso(this.options.clock.now()),
    });
  }

  step(op: OperationRecord): Promise<StepOutcome> {
    return stepLocal(op, {
      runtimes: this.runtimes,
      workspace: this.reference,
      timings: this.options.timings,
      now: () => this.options.clock.now(),
      latestVersion: () => this.options.versions.latest(),
    });
  }

  async powerComputeInstance(
    name: string,
    action: 'start' | 'stop',
    actor: Person,
  ): Promise<{ runtime: string; status: string }[]> {
    const ci = await this.reference.computeInstance(name);
    if (!ci) throw notFound(`There is no compute instance named ${name.slice(0, 64)}.`);
    if (ci.owner !== actor.objectId && ci.assignedTo !== actor.objectId) {
      throw new AppError(
        ErrorCode.Forbidden,
        `Only the owner of ${ci.name} or the person it is assigned to can ${action} it.`,
      );
    }
    const power = action === 'start' ? 'Running' : 'Stopped';
    await this.reference.instances.update(ci.name.toLowerCase(), (c) => (c ? { ...c, status: power } : UNCHANGED));
    const changed: { runtime: string; status: string }[] = [];
    const now = iso(this.options.clock.now());
    for (const r of await this.runtimes.all()) {
      if (r.computeInstanceName?.toLowerCase() !== ci.name.toLowerCase() || r.activeOperation) continue;
      const next = action === 'stop' ? 'Unavailable' : r.status === 'Unavailable' ? 'Running' : r.status;
      if (next === r.status) continue;
      await this.runtimes.update(r.name.toLowerCase(), (cur) => {
        if (!cur || cur.activeOperation) return UNCHANGED; // an operation owns it now
        const { statusMessage: _m, ...rest } = cur;
        return {
          ...rest,
          status: next,
          modifiedOn: now,
          ...(next === 'Unavailable' ? { statusMessage: `Compute instance ${ci.name} is Stopped` } : {}),
        };
      });
      changed.push({ runtime: r.name, status: next });
    }
    return changed;
  }

  /** Automatic runtimes unused for longer than their idle time are stopped, once per idle period. */
  async systemWork(): Promise<SystemRequest[]> {
    const now = this.options.clock.now();
    return (await this.runtimes.all())
      .filter(
        (r) =>
          r.type === 'automatic' && r.status === 'Running' && !r.activeOperation && r.lastUsedOn && r.idleTimeMinutes,
      )
      .filter((r) => Date.parse(r.lastUsedOn!) + r.idleTimeMinutes! * 60_000 <= now)
      .map((r) => ({
        kind: 'stop' as const,
        runtimeName: r.name,
        input: { reason: 'idle' },
        idempotencyKey: `idle-shutdown:${r.name.toLowerCase()}:${r.lastUsedOn}`,
        reason: `idle for ${r.idleTimeMinutes} minutes`,
      }));
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    return { ok: true, detail: 'local emulator' };
  }
}

/** Demo timings in seconds, scaled: 1 for a realistic demo, 0 for instant transitions. */
export function localTimings(scale: number): LocalTimings {
  const s = (seconds: number) => Math.round(seconds * 1000 * scale);
  return { startMs: s(6), installMs: s(8), resetMs: s(3), stopMs: s(3), updateMs: s(4) };
}
