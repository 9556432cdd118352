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
import type { RuntimeIndex } from '../../readModel/readModel';
import type { VersionStore } from '../../versions/versionStore';
import type { PrepareArgs, RuntimeProvider } from '../provider';
import { prepareLocal } from './prepare';
import { type LocalTimings, stepLocal } from './steps';
import { LocalWorkspace } from './workspace';

export interface LocalProviderOptions {
  storage: Storage;
  /** The read model: the idle sweep looks there for what is due instead of reading every record. */
  index: RuntimeIndex;
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
    const onInstance = Array.from(this.options.index.records()).filter(
      (r) => r.computeInstanceName?.toLowerCase() === ci.name.toLowerCase(),
    );
    for (const r of onInstance) {
      // Decided on the record as stored: the read model may not show another replica's last write yet.
      let next: RuntimeRecord['status'] | undefined;
      await this.runtimes.update(r.name.toLowerCase(), (cur) => {
        next = undefined;
        if (!cur || cur.activeOperation) return UNCHANGED; // an operation owns it now
        const status = action === 'stop' ? 'Unavailable' : cur.status === 'Unavailable' ? 'Running' : cur.status;
        if (status === cur.status) return UNCHANGED;
        next = status;
        const { statusMessage: _m, ...rest } = cur;
        return {
          ...rest,
          status,
          modifiedOn: now,
          ...(status === 'Unavailable' ? { statusMessage: `Compute instance ${ci.name} is Stopped` } : {}),
        };
      });
      if (next) changed.push({ runtime: r.name, status: next });
    }
    return changed;
  }

  /**
   * Automatic runtimes unused for longer than their idle time are stopped, once per idle period.
   * The read model says which are due; those few are read again, because it may lag a write of
   * another replica (a runtime that was just used must not be stopped).
   */
  async systemWork(): Promise<SystemRequest[]> {
    const now = this.options.clock.now();
    const idle = (r: RuntimeRecord) =>
      r.type === 'automatic' &&
      r.status === 'Running' &&
      !r.activeOperation &&
      !!r.lastUsedOn &&
      !!r.idleTimeMinutes &&
      Date.parse(r.lastUsedOn) + r.idleTimeMinutes * 60_000 <= now;
    const due = Array.from(this.options.index.records()).filter(idle);
    if (due.length === 0) return [];
    return (await this.runtimes.getMany(due.map((r) => r.name.toLowerCase()))).filter(idle).map((r) => ({
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
