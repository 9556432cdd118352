/**
 * The fake's operations, by OpenAPI operationId, and the DTOs they answer with. Handlers see an already validated
 * and authorized request; they throw FakeApiError for 4xx answers. The flow-scoped session routes
 * (Flows/{flowId}/sessions…) are in the document but not implemented: they answer 501.
 * Writes answer with empty bodies where the service may send none: the recorded 202 of a FlowSessions POST has
 * `content-length: 0` although the document declares a body, and nothing shows what an asyncCall write returns.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { iso } from '../../../src/clock';
import { errorResponse, FakeApiError, rootError, statusError } from './errors';
import type { Session, SessionOperation, SessionState } from './sessions';
import type { Runtime, RuntimeState } from './runtimes';
import { IMAGE_REPOSITORY, type Principal, type WorkspaceConfig } from './state';

export interface RouteContext {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: any;
  caller: Principal;
  config: WorkspaceConfig;
  runtimes: RuntimeState;
  sessions: SessionState;
  /** The absolute Azure-AsyncOperation URL of a session operation. */
  pollUrl: (op: SessionOperation) => string;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Handler = (ctx: RouteContext) => Reply | Promise<Reply>;

const ok = (body: unknown): Reply => ({ status: 200, body });
const empty = (status: number, headers?: Record<string, string>): Reply => ({
  status,
  ...(headers ? { headers } : {}),
});

export const errorReply = (error: FakeApiError, location: string): Reply => ({
  status: error.status,
  body: errorResponse(rootError(error.code, error.innerCode, error.message, error.extra), location),
  headers: error.headers,
});

const accepted = (ctx: RouteContext, op: SessionOperation): Reply =>
  empty(202, { 'azure-asyncoperation': ctx.pollUrl(op) });

/**
 * A FlowRuntimes write: with `asyncCall=true` an empty 200 at once; without it, the answer waits for the change to
 * be done (a create takes minutes), and past the gateway's limit it is a 504 while the change goes on.
 */
async function write(ctx: RouteContext, change: () => Runtime): Promise<Reply> {
  const runtime = change();
  if (ctx.query.asyncCall === true) return empty(200);
  const limit = Date.now() + ctx.config.syncWriteLimitMs;
  while (!ctx.runtimes.changeDone(runtime)) {
    if (Date.now() >= limit) throw statusError(504);
    await delay(10);
  }
  return ok(runtimeDto(runtime, ctx));
}

const latestConfig: Handler = ({ config }) => {
  const current = { baseImage: `${IMAGE_REPOSITORY}:${config.latestVersion}`, version: config.latestVersion };
  return ok({ ...current, images: { Python: { 'promptflow-runtime-stable': current } } });
};

const notImplemented: Handler = () => {
  throw new FakeApiError(
    501,
    'ServiceError',
    'NotImplemented',
    'The fake Azure ML API does not implement the flow-scoped session routes.',
  );
};

export const routes: Record<string, Handler> = {
  FlowRuntimes_ListRuntimes: (ctx) => ok(ctx.runtimes.list().map((r) => runtimeDto(r, ctx))),
  FlowRuntimes_GetRuntime: (ctx) => ok(runtimeDto(ctx.runtimes.observe(ctx.params.runtimeName), ctx)),
  FlowRuntimes_CreateRuntime: (ctx) =>
    write(ctx, () => ctx.runtimes.create(ctx.params.runtimeName, ctx.body ?? {}, ctx.caller)),
  FlowRuntimes_UpdateRuntime: (ctx) => write(ctx, () => ctx.runtimes.update(ctx.params.runtimeName, ctx.body ?? {})),
  FlowRuntimes_DeleteRuntime: (ctx) => write(ctx, () => ctx.runtimes.delete(ctx.params.runtimeName)),
  FlowRuntimes_CheckCiAvailability: (ctx) =>
    availability(
      ctx,
      ctx.runtimes.ciAvailability(String(ctx.query.computeInstanceName), String(ctx.query.customAppName)),
    ),
  FlowRuntimes_CheckMirAvailability: (ctx) =>
    availability(ctx, ctx.runtimes.mirAvailability(String(ctx.query.endpointName), String(ctx.query.deploymentName))),
  FlowRuntimes_CheckRuntimeUpgrade: (ctx) => ok(ctx.runtimes.needUpgrade(ctx.params.runtimeName)),
  FlowRuntimes_GetRuntimeCapability: (ctx) => {
    ctx.runtimes.get(ctx.params.runtimeName);
    return ok({ flowFeatures: FLOW_FEATURES });
  },
  FlowRuntimes_GetRuntimeLatestConfig: latestConfig,
  FlowRuntimesWorkspaceIndependent_GetRuntimeLatestConfig: latestConfig,
  FlowSessions_CreateFlowSession: (ctx) => {
    const op = ctx.sessions.act(ctx.params.sessionId, ctx.body ?? {}, ctx.caller);
    return op ? accepted(ctx, op) : empty(200);
  },
  FlowSessions_GetFlowSession: (ctx) => ok(sessionDto(ctx.sessions.get(ctx.params.sessionId), ctx.config)),
  FlowSessions_DeleteFlowSession: (ctx) => accepted(ctx, ctx.sessions.remove(ctx.params.sessionId)),
  FlowSessions_ListFlowSessionPipPackages: (ctx) => ok(ctx.sessions.get(ctx.params.sessionId).freeze.join('\n')),
  FlowSessions_PollOperationStatus: (ctx) =>
    ok(ctx.sessions.poll(ctx.params.sessionId, ctx.params.actionType, ctx.params.location, ctx.params.operationId)),
  FlowSessions_GetStandbyPools: () =>
    ok([
      { name: 'default-pool', count: 2, vmSize: 'Standard_E4ds_v4', standbyAvailableInstances: [{ status: 'Ready' }] },
    ]),
  Flows_SetupFlowSession: notImplemented,
  Flows_DeleteFlowSession: notImplemented,
  Flows_GetFlowSessionStatus: notImplemented,
  Flows_ListFlowSessionPipPackages: notImplemented,
};

function availability(ctx: RouteContext, result: { isAvailable: boolean; error?: FakeApiError }): Reply {
  const e = result.error;
  return ok({
    isAvailable: result.isAvailable,
    ...(e ? { error: errorResponse(rootError(e.code, e.innerCode, e.message), ctx.config.location) } : {}),
  });
}

export function runtimeDto(r: Runtime, ctx: Pick<RouteContext, 'config' | 'runtimes'>): Record<string, unknown> {
  const { config, runtimes } = ctx;
  const { status, statusMessage } = runtimes.effectiveStatus(r);
  const ci = r.computeInstanceName ? runtimes.computeInstances.get(r.computeInstanceName) : undefined;
  const isCi = r.runtimeType === 'ComputeInstance';
  return compact({
    runtimeName: r.name,
    runtimeDescription: r.description,
    runtimeType: r.runtimeType,
    environment: r.environment,
    status: status ?? undefined, // healthy: no status, and the flow service leaves null fields out of its DTOs
    statusMessage,
    error: r.error ? errorResponse(rootError('UserError', 'RuntimeFailed', r.error), config.location) : undefined,
    computeInstanceName: r.computeInstanceName,
    customAppName: r.customAppName,
    fromExistingCustomApp: isCi ? !!r.fromExistingCustomApp : undefined,
    endpointName: r.endpointName,
    deploymentName: r.deploymentName,
    fromExistingEndpoint: isCi ? undefined : !!r.fromExistingEndpoint,
    fromExistingDeployment: isCi ? undefined : !!r.fromExistingDeployment,
    identity: r.identity,
    instanceType: r.instanceType,
    instanceCount: r.instanceCount,
    dockerImage: `${IMAGE_REPOSITORY}:${r.imageTag}`,
    publishedPort: isCi ? 8081 : undefined,
    targetPort: isCi ? 8080 : undefined,
    assignedTo: ci?.assignedToObjectId ? { objectId: ci.assignedToObjectId, tenantId: r.owner.tenantId } : undefined,
    endpointUrl: isCi
      ? `https://${r.computeInstanceName}-8081.${config.location}.instances.azureml.ms`
      : `https://${r.endpointName}.${config.location}.inference.ml.azure.com/score`,
    createdOn: iso(r.createdOn),
    modifiedOn: iso(r.modifiedOn),
    owner: { userObjectId: r.owner.objectId, userTenantId: r.owner.tenantId, userName: r.owner.clientId || null },
  });
}

export function sessionDto(s: Session, config: WorkspaceConfig): Record<string, unknown> {
  const application = {
    name: 'promptflow-runtime',
    type: 'Docker',
    image: s.baseImage,
    pythonPipRequirements: s.requirements,
    setupResults: s.lastSetup
      ? [{ command: 'pip', arguments: ['install', '-r', 'requirements.txt'], ...s.lastSetup }]
      : [],
    port: 8080,
  };
  return {
    properties: compact({
      sessionId: s.id,
      subscriptionId: config.subscriptionId,
      resourceGroupName: config.resourceGroup,
      workspaceName: config.workspace,
      userObjectId: s.owner.objectId,
      userTenantId: s.owner.tenantId,
      vmSize: s.vmSize,
      maxIdleTimeSeconds: s.maxIdleTimeSeconds,
      applications: [application],
      application,
      lastAliveTime: iso(s.lastAliveTime),
    }),
    // The compute is shared and ready before any session on it: its state says nothing about this session.
    compute: {
      id: `/subscriptions/${config.subscriptionId}/resourceGroups/${config.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${config.workspace}/computes/${s.computeName}`,
      name: s.computeName,
      type: 'Microsoft.MachineLearningServices/workspaces/computes',
      location: config.location,
      properties: compact({
        computeType: 'ComputeInstance',
        computeLocation: config.location,
        provisioningState: 'Succeeded',
        createdOn: iso(s.createdOn),
        modifiedOn: iso(s.modifiedOn),
        isAttachedCompute: false,
        description: s.identity ? `Runs as ${s.identity}` : undefined,
      }),
    },
  };
}

const FLOW_FEATURES = [
  feature('ActivateConditions', 'Run a node only when its activate condition holds.'),
  feature('ChatFlow', 'Chat flows with chat history and chat input/output.'),
  feature('PythonToolStreaming', 'Streaming output of Python tools.'),
];

function feature(name: string, description: string): Record<string, unknown> {
  return { name, description, state: { Runtime: 'Ready', Executor: 'Ready', PFS: 'Ready' } };
}

function compact(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}
