/**
 * The fake workspace's runtimes and compute instances (the sessions are in sessions.ts). A runtime that is
 * `Starting` or `Stopping` finishes when it has been read (GET or list) `timing.polls` times or `timing.ms` have
 * passed; `settle()` finishes everything now. The model:
 *  - CI runtime (ComputeInstance): needs a Running compute instance that the caller owns or is assigned; create →
 *    Starting → healthy. While its compute instance is not Running it reads as Unavailable.
 *  - MIR runtime (ManagedOnlineEndpoint): needs endpointName and deploymentName; create → Starting → healthy.
 *  - update (PUT) → Starting → healthy, on the latest base image ("use default environment").
 *  - delete → Stopping → gone (404), whatever `asyncCall` says ([UNCONFIRMED] in the API notes).
 * The healthy status is not documented; it is `config.healthyStatus` ("Running" by default).
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
  status: string;
  statusMessage?: string;
  /** A failure message, answered as the DTO's ErrorResponse. */
  error?: string;
  description?: string;
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
  pending?: Pending;
}

export type RuntimeSeed = Partial<Omit<Runtime, 'pending' | 'owner'>> & { name: string; owner?: Partial<Principal> };

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
      status: this.config.healthyStatus,
      imageTag: this.config.latestVersion,
      createdOn: now,
      modifiedOn: now,
      ...seed,
      owner: { clientId: '', objectId: '00000000-0000-0000-0000-000000000000', tenantId: '', ...seed.owner },
    };
    this.runtimes.set(runtime.name, runtime);
    return runtime;
  }

  /** Reads a runtime as a GET does: counts the observation and finishes a due transition. */
  observe(name: string): Runtime {
    const runtime = this.runtimes.get(name);
    if (!runtime) throw notFound(`Runtime ${name}`);
    if (runtime.pending) {
      runtime.pending.reads += 1;
      if (isDone(runtime.pending, this.now)) this.finish(runtime);
    }
    if (!this.runtimes.has(name)) throw notFound(`Runtime ${name}`);
    return runtime;
  }

  list(): Runtime[] {
    for (const name of [...this.runtimes.keys()]) this.observe(name);
    return [...this.runtimes.values()];
  }

  get(name: string): Runtime {
    const runtime = this.runtimes.get(name);
    if (!runtime) throw notFound(`Runtime ${name}`);
    return runtime;
  }

  create(name: string, body: Record<string, any>, caller: Principal): Runtime {
    if (this.runtimes.has(name)) throw conflict(`Runtime ${name} already exists.`);
    const type = body.runtimeType;
    const common = {
      name,
      description: body.runtimeDescription ?? undefined,
      environment: body.environment ?? undefined,
      instanceType: body.instanceType ?? undefined,
      identity: body.identity,
      owner: caller,
      status: 'Starting',
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
      return this.startTransition(
        this.addRuntime({
          ...common,
          runtimeType: type,
          computeInstanceName: ci.name,
          customAppName,
          fromExistingCustomApp: !!body.fromExistingCustomApp,
        }),
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
      return this.startTransition(
        this.addRuntime({
          ...common,
          runtimeType: type,
          endpointName: body.endpointName,
          deploymentName: body.deploymentName,
          fromExistingEndpoint: !!body.fromExistingEndpoint,
          fromExistingDeployment: !!body.fromExistingDeployment,
          instanceCount: body.instanceCount ?? 1,
        }),
      );
    }
    throw badRequest(
      type === undefined
        ? 'runtimeType is required.'
        : `runtimeType ${String(type)} cannot be created through FlowRuntimes: use ComputeInstance or ManagedOnlineEndpoint.`,
      'runtimeType',
    );
  }

  update(name: string, body: Record<string, any>): Runtime {
    const runtime = this.get(name);
    this.assertIdle(runtime);
    if (body.instanceCount !== undefined && runtime.runtimeType !== 'ManagedOnlineEndpoint') {
      throw badRequest('instanceCount applies to ManagedOnlineEndpoint runtimes only.', 'instanceCount');
    }
    if (body.runtimeDescription !== undefined) runtime.description = body.runtimeDescription ?? undefined;
    if (body.environment !== undefined) runtime.environment = body.environment ?? undefined;
    if (body.instanceCount !== undefined) runtime.instanceCount = body.instanceCount;
    runtime.modifiedOn = this.now;
    runtime.status = 'Starting';
    runtime.statusMessage = undefined;
    runtime.error = undefined;
    return this.startTransition(runtime, () => (runtime.imageTag = this.config.latestVersion));
  }

  delete(name: string): Runtime {
    const runtime = this.get(name);
    if (runtime.status === 'Stopping') return runtime;
    runtime.status = 'Stopping';
    runtime.modifiedOn = this.now;
    runtime.pending = undefined;
    return this.startTransition(runtime);
  }

  /** Sets a status directly (cancelling a transition), e.g. an undocumented one: setStatus('rt', 'SomethingNew'). */
  setStatus(name: string, status: string, details: { statusMessage?: string; error?: string } = {}): void {
    const runtime = this.get(name);
    runtime.pending = undefined;
    runtime.status = status;
    runtime.statusMessage = details.statusMessage;
    runtime.error = details.error;
    runtime.modifiedOn = this.now;
  }

  /** The status a reader sees: a CI runtime is Unavailable while its compute instance is not Running. */
  effectiveStatus(runtime: Runtime): { status: string; statusMessage?: string } {
    const ci = runtime.computeInstanceName ? this.computeInstances.get(runtime.computeInstanceName) : undefined;
    if (
      ci &&
      ci.state !== 'Running' &&
      (runtime.status === this.config.healthyStatus || runtime.status === 'Starting')
    ) {
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

  private appExists(ciName: string, appName: string): boolean {
    return [...this.runtimes.values()].some((r) => r.computeInstanceName === ciName && r.customAppName === appName);
  }

  private mirTaken(endpoint: string, deployment: string): boolean {
    return [...this.runtimes.values()].some((r) => r.endpointName === endpoint && r.deploymentName === deployment);
  }

  private assertIdle(runtime: Runtime): void {
    if (runtime.pending) throw conflict(`Runtime ${runtime.name} is ${runtime.status}; wait until it finishes.`);
  }

  private startTransition(runtime: Runtime, onHealthy?: () => void): Runtime {
    const stopping = runtime.status === 'Stopping';
    runtime.pending = {
      startedAt: this.now,
      reads: 0,
      timing: this.config.runtimeTiming,
      finish: () => {
        if (stopping) {
          this.runtimes.delete(runtime.name);
          return;
        }
        onHealthy?.();
        runtime.status = this.config.healthyStatus;
        runtime.modifiedOn = this.now;
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
