/**
 * The Azure ML prompt flow API's shapes (azureml-flow-runtime-openapi.json) and how they map to the
 * service's RuntimeRecord and back. The API's status enum has no value for a healthy runtime: a
 * healthy runtime has no status (`"status": null`), which the service shows as Running. Every other
 * status passes through as Azure sends it; an unknown string is shown as it comes, never guessed at.
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
import { redactSecrets } from '../../../domain/secrets';
import type { RuntimeRecord } from '../../model';
import { type AzureErrorBody, azureMessage } from './errors';

export interface FlowRuntimeDto {
  runtimeName?: string | null;
  runtimeDescription?: string | null;
  runtimeType?: string | null;
  environment?: string | null;
  /** null or absent: healthy. */
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

/** What a PUT sends, as Microsoft's update script sends it: the three fields, each as the runtime should have it. */
export interface UpdateFlowRuntimeRequest {
  runtimeDescription?: string;
  /** An environment asset id. */
  environment?: string;
  instanceCount?: number;
}

export type SessionAction = 'Install' | 'Reset' | 'Update' | 'Delete';

export interface CreateFlowSessionRequest {
  pythonPipRequirements?: string[];
  baseImage?: string;
  action?: SessionAction;
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
  /** The compute the session runs on; it hosts other sessions too, so its state is not the session's. */
  compute?: { name?: string | null } | null;
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

/**
 * Where a runtime stands, judged from its status: `ready` is no status at all; `unavailable` is not
 * over while a change is in progress (Azure reports it while a runtime starts); `other` is a status
 * nobody documented.
 */
export type Progress = 'ready' | 'busy' | 'unavailable' | 'failed' | 'gone' | 'other';

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
  if (!s) return 'ready';
  if (BUSY.has(s)) return 'busy';
  if (s === 'unavailable') return 'unavailable';
  if (s === 'failed' || s === 'canceled') return 'failed';
  if (s === 'notexist') return 'gone';
  return 'other';
}

/** The status to show for an API status: no status is a healthy runtime, Running. */
export function statusOf(status: string | null | undefined): string {
  return status || 'Running';
}

/** A status and Azure's words about it, for messages: "Unavailable (Compute instance ci-1 is Stopped.)". */
export function describeStatus(dto: Pick<FlowRuntimeDto, 'status' | 'statusMessage'>): string {
  const message = dto.statusMessage ? ` (${clipText(redactSecrets(dto.statusMessage), 200)})` : '';
  return `${statusOf(dto.status)}${message}`;
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
    status: statusOf(dto.status),
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

/**
 * The PUT of a change: runtimeDescription, environment and instanceCount as the runtime has them
 * (`current`, read just before), with the change applied. The update script sends all three; a PUT
 * may replace what it is not sent, so nothing the runtime has is left out.
 */
export function updateRuntimeRequest(
  current: FlowRuntimeDto,
  change: { description?: string; environment?: string; instanceCount?: number } = {},
): UpdateFlowRuntimeRequest {
  const description = change.description ?? current.runtimeDescription ?? undefined;
  const environment = change.environment ?? current.environment ?? undefined;
  const instanceCount = change.instanceCount ?? current.instanceCount;
  return {
    ...(description ? { runtimeDescription: description } : {}),
    ...(environment ? { environment } : {}),
    ...(typeof instanceCount === 'number' ? { instanceCount } : {}),
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

function clipText(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
