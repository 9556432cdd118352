/**
 * The fake workspace's runtimes and compute instances (the sessions are in sessions.ts), as the real service is
 * known to behave (test/fixtures/azureml/README.md says from which source) and, where that is unknown, in the way
 * least kind to a client:
 *  - A healthy runtime has no status: the DTO has no `status` field. The status enum has no healthy value, the
 *    flow service leaves null fields out of its DTOs (its recorded answers do), and a public CI script waits for
 *    `jq .status` to print null.
 *  - create → `Unavailable` (the first read) → `Starting` → healthy. A CI runtime needs a Running compute instance
 *    that the caller owns or is assigned, and reads Unavailable while that instance is not Running.
 *  - update (PUT) replaces runtimeDescription and environment with what it is sent (absent clears them: no
 *    description, the default environment) and keeps instanceCount when absent; → Starting → healthy. On the
 *    default environment the runtime comes back on the latest image; on a customized one its image stays.
 *  - delete → Stopping → `NotExist`: GET and the list answer 200 with that status until the name is created again.
 *  - A write answers 200 with an empty body when sent with `asyncCall=true`. Without it, it holds its answer until
 *    the change is done, and after `syncWriteLimitMs` answers 504 while the change goes on.
 * A change is observed by GETs and list reads (`timing.polls`) or by the clock (`timing.ms`); `settle()` ends all.
 */
import { badRequest, conflict, FakeApiError, notFound } from './errors';
import { compareTags, isDone, type Pending, type Principal, type WorkspaceConfig } from './state';

export interface ComputeInstance {
  name: string;
  state: 'Running' | 'Stopped' | string;
  ownerObjectId?: string;
  assignedToObjectId?: string;
}

export interface Runtime {
  name: string;
  runtimeType: 'ComputeInstance' | 'ManagedOnlineEndpoint';
  /** null: healthy (the API has no value for it). */
  status: string | null;
  statusMessage?: string;
  /** A failure message, answered as the DTO's ErrorResponse. */
  error?: string;
  description?: string;
  /** An environment asset id; absent is the default environment. */
  environment?: string;
  imageTag: string;
  computeInstanceName?: string;
  customAppName?: string;
  fromExistingCustomApp?: boolean;
  endpointName?: string;
  deploymentName?: string;
  fromExistingEndpoint?: boolean;
  fromExistingDeployment?: boolean;
  instanceType?: string;
  instanceCount?: number;
  identity?: unknown;
  owner: Principal;
  createdOn: number;
  modifiedOn: number;
  /** The change in progress, and the statuses its reads show in turn (the last one repeats). */
  pending?: Pending & { statuses: string[] };
}

export type RuntimeSeed = Partial<Omit<Runtime, 'pending' | 'owner'>> & { name: string; owner?: Partial<Principal> };

export const HEALTHY = null;
export const NOT_EXIST = 'NotExist';

/** Curated environments of the `azureml` registry are "the default environment", kept on the latest image. */
const isDefaultEnvironment = (environment: string | undefined) =>
  !environment || /\/registries\/azureml\//i.test(environment);

export class RuntimeState {
  readonly computeInstances = new Map<string, ComputeInstance>();
  readonly runtimes = new Map<string, Runtime>();

  constructor(private readonly config: WorkspaceConfig) {}

  private get now(): number {
    return this.config.clock.now();
  }

  addRuntime(seed: RuntimeSeed): Runtime {
    const now = this.now;
    const runtime: Runtime = {
      runtimeType: 'ComputeInstance',
      status: HEALTHY,
      imageTag: this.config.latestVersion,
      createdOn: now,
      modifiedOn: now,
      ...seed,
      owner: { clientId: '', objectId: '00000000-0000-0000-0000-000000000000', tenantId: '', ...seed.owner },
    };
    this.runtimes.set(runtime.name, runtime);
    return runtime;
  }

  /** Reads a runtime as a GET does: counts the observation, moves a change on, and finishes a due one. */
  observe(name: string): Runtime {
    const runtime = this.runtimes.get(name);
    if (!runtime) throw notFound(`Runtime ${name}`);
    const pending = runtime.pending;
    if (pending) {
      pending.reads += 1;
      if (isDone(pending, this.now)) this.finish(runtime);
      else runtime.status = pending.statuses[Math.min(pending.reads - 1, pending.statuses.length - 1)];
    }
    return runtime;
  }

  list(): Runtime[] {
    for (const name of [...this.runtimes.keys()]) this.observe(name);
    return [...this.runtimes.values()];
  }

  /** A runtime that exists (not one that reads NotExist after a delete), for changes and checks. */
  get(name: string): Runtime {
    const runtime = this.runtimes.get(name);
    if (!runtime || runtime.status === NOT_EXIST) throw notFound(`Runtime ${name}`);
    return runtime;
  }

  create(name: string, body: Record<string, any>, caller: Principal): Runtime {
    const existing = this.runtimes.get(name);
    if (existing && existing.status !== NOT_EXIST) throw conflict(`Runtime ${name} already exists.`);
    const type = body.runtimeType;
    const common = {
      name,
      description: body.runtimeDescription ?? undefined,
      environment: body.environment || undefined,
      instanceType: body.instanceType ?? undefined,
      identity: body.identity,
      owner: caller,
    };
    if (type === 'ComputeInstance') {
      const ciName: string | undefined = body.computeInstanceName ?? undefined;
      if (!ciName)
        throw badRequest('computeInstanceName is required for a ComputeInstance runtime.', 'computeInstanceName');
      const ci = this.usableComputeInstance(ciName, caller);
      const customAppName = body.customAppName || `${name}-app`;
      if (body.fromExistingCustomApp && !this.appExists(ci.name, customAppName)) {
        // An existing custom application is one that a runtime created earlier and still uses.
        throw badRequest(
          `Custom application ${customAppName} does not exist on compute instance ${ci.name}.`,
          'customAppName',
        );
      }
      if (!body.fromExistingCustomApp && this.appExists(ci.name, customAppName)) {
        throw conflict(`Custom application ${customAppName} already exists on compute instance ${ci.name}.`);
      }
      return this.startChange(
        this.addRuntime({
          ...common,
          runtimeType: type,
          computeInstanceName: ci.name,
          customAppName,
          fromExistingCustomApp: !!body.fromExistingCustomApp,
        }),
        ['Unavailable', 'Starting'],
      );
    }
    if (type === 'ManagedOnlineEndpoint') {
      if (!body.endpointName || !body.deploymentName) {
        throw badRequest(
          'endpointName and deploymentName are required for a ManagedOnlineEndpoint runtime.',
          'endpointName',
        );
      }
      if (this.mirTaken(body.endpointName, body.deploymentName)) {
        throw conflict(`Deployment ${body.endpointName}/${body.deploymentName} is already used by another runtime.`);
      }
      return this.startChange(
        this.addRuntime({
          ...common,
          runtimeType: type,
          endpointName: body.endpointName,
          deploymentName: body.deploymentName,
          fromExistingEndpoint: !!body.fromExistingEndpoint,
          fromExistingDeployment: !!body.fromExistingDeployment,
          instanceCount: body.instanceCount ?? 1,
        }),
        ['Unavailable', 'Starting'],
      );
    }
    throw badRequest(
      type === undefined
        ? 'runtimeType is required.'
        : `runtimeType ${String(type)} cannot be created through FlowRuntimes: use ComputeInstance or ManagedOnlineEndpoint.`,
      'runtimeType',
    );
  }

  /** PUT: description and environment are replaced by what is sent; instanceCount is kept when absent. */
  update(name: string, body: Record<string, any>): Runtime {
    const runtime = this.get(name);
    this.assertIdle(runtime);
    runtime.description = body.runtimeDescription || undefined;
    runtime.environment = body.environment || undefined;
    if (body.instanceCount !== undefined && runtime.runtimeType === 'ManagedOnlineEndpoint')
      runtime.instanceCount = body.instanceCount;
    runtime.modifiedOn = this.now;
    runtime.statusMessage = undefined;
    runtime.error = undefined;
    return this.startChange(runtime, ['Starting'], () => {
      if (isDefaultEnvironment(runtime.environment)) runtime.imageTag = this.config.latestVersion;
    });
  }

  delete(name: string): Runtime {
    const runtime = this.get(name);
    if (runtime.status === 'Stopping') return runtime;
    runtime.modifiedOn = this.now;
    runtime.pending = undefined;
    return this.startChange(runtime, ['Stopping']);
  }

  /** Sets a status directly (cancelling a change), e.g. an undocumented one: setStatus('rt', 'SomethingNew'). */
  setStatus(name: string, status: string | null, details: { statusMessage?: string; error?: string } = {}): void {
    const runtime = this.runtimes.get(name);
    if (!runtime) throw notFound(`Runtime ${name}`);
    runtime.pending = undefined;
    runtime.status = status;
    runtime.statusMessage = details.statusMessage;
    runtime.error = details.error;
    runtime.modifiedOn = this.now;
  }

  /** The status a reader sees: a CI runtime is Unavailable while its compute instance is not Running. */
  effectiveStatus(runtime: Runtime): { status: string | null; statusMessage?: string } {
    const ci = runtime.computeInstanceName ? this.computeInstances.get(runtime.computeInstanceName) : undefined;
    if (ci && ci.state !== 'Running' && (runtime.status === HEALTHY || runtime.status === 'Starting')) {
      return { status: 'Unavailable', statusMessage: `Compute instance ${ci.name} is ${ci.state}.` };
    }
    return { status: runtime.status, statusMessage: runtime.statusMessage };
  }

  needUpgrade(name: string): boolean {
    return (compareTags(this.get(name).imageTag, this.config.latestVersion) ?? 0) < 0;
  }

  ciAvailability(ciName: string, appName: string): { isAvailable: boolean; error?: FakeApiError } {
    const ci = this.computeInstances.get(ciName);
    if (!ci) return { isAvailable: false, error: notFound(`Compute instance ${ciName}`) };
    if (ci.state !== 'Running') {
      return { isAvailable: false, error: badRequest(`Compute instance ${ciName} is ${ci.state}; start it first.`) };
    }
    if (this.appExists(ciName, appName)) {
      return {
        isAvailable: false,
        error: conflict(`Custom application ${appName} already exists on compute instance ${ciName}.`),
      };
    }
    return { isAvailable: true };
  }

  mirAvailability(endpoint: string, deployment: string): { isAvailable: boolean; error?: FakeApiError } {
    return this.mirTaken(endpoint, deployment)
      ? {
          isAvailable: false,
          error: conflict(`Deployment ${endpoint}/${deployment} is already used by another runtime.`),
        }
      : { isAvailable: true };
  }

  /** Is the change of this runtime over (nothing pending, or due by the clock, which ends it)? */
  changeDone(runtime: Runtime): boolean {
    if (runtime.pending && isDone({ ...runtime.pending, reads: 0 }, this.now)) this.finish(runtime);
    return !runtime.pending;
  }

  settle(): void {
    for (const runtime of [...this.runtimes.values()]) if (runtime.pending) this.finish(runtime);
  }

  private usableComputeInstance(name: string, caller: Principal): ComputeInstance {
    const ci = this.computeInstances.get(name);
    if (!ci) throw notFound(`Compute instance ${name}`);
    if (ci.ownerObjectId && ci.ownerObjectId !== caller.objectId && ci.assignedToObjectId !== caller.objectId) {
      throw new FakeApiError(
        403,
        'UserError',
        'ComputeInstanceNotOwned',
        `Compute instance ${name} belongs to another user: only its owner or assignee can create a runtime on it.`,
      );
    }
    if (ci.state !== 'Running') {
      throw new FakeApiError(
        400,
        'UserError',
        'ComputeInstanceNotRunning',
        `Compute instance ${name} is ${ci.state}; start it first.`,
      );
    }
    return ci;
  }

  private live(): Runtime[] {
    return [...this.runtimes.values()].filter((r) => r.status !== NOT_EXIST);
  }

  private appExists(ciName: string, appName: string): boolean {
    return this.live().some((r) => r.computeInstanceName === ciName && r.customAppName === appName);
  }

  private mirTaken(endpoint: string, deployment: string): boolean {
    return this.live().some((r) => r.endpointName === endpoint && r.deploymentName === deployment);
  }

  private assertIdle(runtime: Runtime): void {
    if (runtime.pending) throw conflict(`Runtime ${runtime.name} is ${runtime.status}; wait until it finishes.`);
  }

  /** Starts a change: the runtime shows `statuses[0]` now, then the next ones read by read, until it is done. */
  private startChange(runtime: Runtime, statuses: string[], onHealthy?: () => void): Runtime {
    const stopping = statuses[0] === 'Stopping';
    runtime.status = statuses[0];
    runtime.pending = {
      startedAt: this.now,
      reads: 0,
      timing: this.config.runtimeTiming,
      statuses,
      finish: () => {
        runtime.modifiedOn = this.now;
        if (stopping) {
          runtime.status = NOT_EXIST;
          return;
        }
        onHealthy?.();
        runtime.status = HEALTHY;
      },
    };
    if (isDone(runtime.pending, this.now)) this.finish(runtime);
    return runtime;
  }

  private finish(runtime: Runtime): void {
    const pending = runtime.pending;
    runtime.pending = undefined;
    pending?.finish();
  }
}
