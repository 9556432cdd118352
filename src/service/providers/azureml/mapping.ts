/**
 * The Azure ML prompt flow API's shapes (azureml-flow-runtime-openapi.json) and how they map to the
 * service's RuntimeRecord and back. Statuses pass through as Azure sends them: the API's enum has
 * no value for a healthy runtime, so an unknown string is shown as it comes, never guessed at.
 * Request bodies carry only the fields the OpenAPI document declares (additionalProperties: false).
 */
import { isImageVersion } from '../../../domain/imageVersion';
import {
  type EnvironmentChoice,
  type Person,
  RUNTIME_NAME,
  type RuntimeError,
  type RuntimeType,
} from '../../../domain/runtime';
import type { RuntimeRecord } from '../../model';
import { type AzureErrorBody, azureMessage } from './errors';

export interface FlowRuntimeDto {
  runtimeName?: string | null;
  runtimeDescription?: string | null;
  runtimeType?: string | null;
  environment?: string | null;
  status?: string | null;
  statusMessage?: string | null;
  error?: AzureErrorBody | null;
  fromExistingEndpoint?: boolean;
  endpointName?: string | null;
  fromExistingDeployment?: boolean;
  deploymentName?: string | null;
  instanceType?: string | null;
  instanceCount?: number;
  computeInstanceName?: string | null;
  dockerImage?: string | null;
  fromExistingCustomApp?: boolean;
  customAppName?: string | null;
  assignedTo?: { objectId?: string | null } | null;
  createdOn?: string;
  modifiedOn?: string;
  owner?: { userObjectId?: string | null; userName?: string | null; userPrincipalName?: string | null } | null;
}

export interface CreateFlowRuntimeRequest {
  runtimeType: string;
  instanceType?: string;
  fromExistingEndpoint?: boolean;
  fromExistingDeployment?: boolean;
  endpointName?: string;
  deploymentName?: string;
  computeInstanceName?: string;
  fromExistingCustomApp?: boolean;
  customAppName?: string;
  runtimeDescription?: string;
  environment?: string;
  instanceCount?: number;
}

export interface UpdateFlowRuntimeRequest {
  runtimeDescription?: string;
  /** null: back to the default environment. */
  environment?: string | null;
  instanceCount?: number;
}

export interface CreateFlowSessionRequest {
  pythonPipRequirements?: string[];
  baseImage?: string;
  action?: 'Install' | 'Reset' | 'Update' | 'Delete';
  vmSize?: string;
  maxIdleTimeSeconds?: number;
  identity?: string;
  computeName?: string;
}

export interface TrainingSessionDto {
  properties?: {
    sessionId?: string | null;
    vmSize?: string | null;
    maxIdleTimeSeconds?: number;
    userObjectId?: string | null;
    lastAliveTime?: string;
    applications?: { image?: string | null }[] | null;
    application?: { image?: string | null } | null;
  } | null;
  compute?: { name?: string | null; properties?: { provisioningState?: string | null } | null } | null;
}

export interface RuntimeConfiguration {
  baseImage?: string | null;
  version?: string | null;
}

const TYPE_FROM_API: Record<string, RuntimeType> = {
  ComputeInstance: 'computeInstance',
  ManagedOnlineEndpoint: 'managedOnlineDeployment',
  TrainingSession: 'automatic',
};

/** Where an operation stands, judged from a status string. */
export type Progress = 'busy' | 'failed' | 'gone' | 'settled';

const BUSY = new Set([
  'starting',
  'stopping',
  'updating',
  'resetting',
  'creating',
  'deleting',
  'inprogress',
  'accepted',
]);

export function progressOf(status: string | null | undefined): Progress {
  const s = String(status ?? '').toLowerCase();
  if (BUSY.has(s)) return 'busy';
  if (s === 'failed' || s === 'canceled') return 'failed';
  if (s === 'notexist') return 'gone';
  return 'settled';
}

/** The service's type for an API runtimeType; undefined for `Local` and anything new. */
export function typeFromApi(runtimeType: string | null | undefined): RuntimeType | undefined {
  return runtimeType && Object.hasOwn(TYPE_FROM_API, runtimeType) ? TYPE_FROM_API[runtimeType] : undefined;
}

/** The tag of a prompt flow image reference when it is a version (`…:20240429.v8`). */
export function imageVersionOf(image: string | null | undefined): string | undefined {
  const tag = image?.match(/:([^:/@]+)(?:@.*)?$/)?.[1];
  return tag && isImageVersion(tag) ? tag : undefined;
}

/**
 * An environment id as the user's choice: none, or a curated one from the `azureml` registry, is
 * the default (kept up to date by Azure); any other asset id is a customized environment.
 */
export function environmentChoice(environment: string | null | undefined): EnvironmentChoice {
  if (!environment || /\/registries\/azureml\//i.test(environment)) return { mode: 'default' };
  return { mode: 'customized', name: environment };
}

export function runtimeError(error: AzureErrorBody | null | undefined): RuntimeError | undefined {
  const message = azureMessage(error ?? undefined);
  if (!message) return undefined;
  return { code: String(error?.error?.code ?? 'AzureError').slice(0, 80), message };
}

/**
 * A FlowRuntimes entry as a runtime record, merged over the stored one: Azure owns the status and
 * the resource fields; the service keeps what Azure does not know (packages, operations, last use).
 * Undefined when the entry cannot be a record (an unknown type, a name the service cannot address).
 */
export function recordFromDto(dto: FlowRuntimeDto, now: string, existing?: RuntimeRecord): RuntimeRecord | undefined {
  const name = dto.runtimeName ?? '';
  const type = typeFromApi(dto.runtimeType) ?? existing?.type;
  if (!RUNTIME_NAME.test(name) || !type) return undefined;
  const base: RuntimeRecord = existing
    ? { ...existing }
    : { name, type, status: 'Unknown', owner: ownerOf(dto), createdOn: dto.createdOn ?? now, modifiedOn: now };
  const next: RuntimeRecord = {
    ...base,
    status: dto.status ?? base.status,
    modifiedOn: dto.modifiedOn ?? base.modifiedOn,
    ...(dto.owner?.userObjectId ? { owner: ownerOf(dto) } : {}),
  };
  assign(next, 'statusMessage', dto.statusMessage ?? undefined);
  assign(next, 'error', runtimeError(dto.error));
  assign(next, 'description', dto.runtimeDescription ?? undefined);
  const version = imageVersionOf(dto.dockerImage);
  if (version || dto.dockerImage) assign(next, 'imageVersion', version);
  if (type === 'computeInstance') {
    assign(next, 'computeInstanceName', dto.computeInstanceName ?? undefined);
    if (dto.customAppName)
      next.customApplication = { mode: dto.fromExistingCustomApp ? 'existing' : 'new', name: dto.customAppName };
    next.environment = environmentChoice(dto.environment);
  }
  if (type === 'managedOnlineDeployment') {
    assign(next, 'endpointName', dto.endpointName ?? undefined);
    assign(next, 'deploymentName', dto.deploymentName ?? undefined);
    assign(next, 'instanceType', dto.instanceType ?? undefined);
    if (typeof dto.instanceCount === 'number') next.instanceCount = dto.instanceCount;
  }
  return next;
}

/** The fields of a record that Azure owns, to tell whether a sync changed anything. */
export function azureView(r: RuntimeRecord): string {
  return JSON.stringify([
    r.status,
    r.statusMessage,
    r.error,
    r.description,
    r.imageVersion,
    r.owner,
    r.computeInstanceName,
    r.customApplication,
    r.environment,
    r.endpointName,
    r.deploymentName,
    r.instanceType,
    r.instanceCount,
    r.vmSize,
    r.idleTimeMinutes,
    r.computeName,
    r.lastUsedOn,
  ]);
}

/** The create body of a compute instance or managed online deployment runtime. */
export function createRuntimeRequest(record: RuntimeRecord): CreateFlowRuntimeRequest {
  const description = record.description ? { runtimeDescription: record.description } : {};
  if (record.type === 'computeInstance') {
    const env = record.environment?.mode === 'customized' ? { environment: record.environment.name } : {};
    return {
      runtimeType: 'ComputeInstance',
      computeInstanceName: record.computeInstanceName ?? '',
      fromExistingCustomApp: record.customApplication?.mode === 'existing',
      customAppName: record.customApplication?.name ?? '',
      // Microsoft's own script sends an empty instance type for a compute instance (api doc §2a).
      instanceType: '',
      ...env,
      ...description,
    };
  }
  return {
    runtimeType: 'ManagedOnlineEndpoint',
    fromExistingEndpoint: false,
    fromExistingDeployment: false,
    endpointName: record.endpointName ?? '',
    deploymentName: record.deploymentName ?? '',
    instanceType: record.instanceType ?? '',
    instanceCount: record.instanceCount ?? 1,
    ...description,
  };
}

/** The session fields of an automatic runtime, for create and for actions that restart it. */
export function sessionSettings(record: RuntimeRecord): CreateFlowSessionRequest {
  return {
    ...(record.vmSize ? { vmSize: record.vmSize } : {}),
    ...(record.idleTimeMinutes ? { maxIdleTimeSeconds: record.idleTimeMinutes * 60 } : {}),
    ...(record.identity?.type === 'userAssigned' ? { identity: record.identity.resourceId } : {}),
    ...(record.baseImage ? { baseImage: record.baseImage } : {}),
  };
}

/** Session facts from a GET FlowSessions/{id}: VM size, idle time, compute, last use, image. */
export function sessionPatch(dto: TrainingSessionDto): Partial<RuntimeRecord> {
  const p = dto.properties ?? {};
  const image = p.application?.image ?? p.applications?.find((a) => a.image)?.image;
  const version = imageVersionOf(image);
  return {
    ...(p.vmSize ? { vmSize: p.vmSize } : {}),
    ...(p.maxIdleTimeSeconds ? { idleTimeMinutes: Math.round(p.maxIdleTimeSeconds / 60) } : {}),
    ...(dto.compute?.name ? { computeName: dto.compute.name } : {}),
    ...(p.lastAliveTime ? { lastUsedOn: p.lastAliveTime } : {}),
    ...(version ? { imageVersion: version } : {}),
  };
}

function ownerOf(dto: FlowRuntimeDto): Person {
  const o = dto.owner;
  const name = o?.userName ?? o?.userPrincipalName ?? undefined;
  return { objectId: o?.userObjectId ?? 'unknown', ...(name ? { name } : {}) };
}

/** Sets a field, or removes it when the value is undefined (records never hold undefined keys). */
function assign<K extends keyof RuntimeRecord>(
  record: RuntimeRecord,
  key: K,
  value: RuntimeRecord[K] | undefined,
): void {
  if (value === undefined) delete record[key];
  else record[key] = value;
}
