/**
 * The runtime service's wire types, shared by the service and by its typed client. They follow
 * ../shared/reference/runtime-semantics.md and stay provider-neutral: the local emulator and the
 * azureml provider both answer in these shapes.
 */
export const RUNTIME_TYPES = ['automatic', 'computeInstance', 'managedOnlineDeployment'] as const;
export type RuntimeType = (typeof RUNTIME_TYPES)[number];

export const KNOWN_STATUSES = [
  'Starting',
  'Running',
  'Updating',
  'Resetting',
  'Stopping',
  'Failed',
  'Unavailable',
  'NotExist',
] as const;
export type KnownStatus = (typeof KNOWN_STATUSES)[number];
/** Azure may answer with statuses we do not know; they pass through as opaque strings. */
export type RuntimeStatus = KnownStatus | (string & {});

export const OPERATION_KINDS = ['create', 'update', 'install', 'reset', 'stop', 'upgrade'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];
export type OperationStatus = 'NotStarted' | 'Running' | 'Succeeded' | 'Failed';

export interface Person {
  objectId: string;
  name?: string;
}

export interface RuntimeError {
  code: string;
  message: string;
  /** Tool output behind the message (e.g. pip's error lines), already redacted. */
  details?: string;
}

export type Identity = { type: 'user' } | { type: 'userAssigned'; resourceId: string };
export type CustomApplicationChoice = { mode: 'new' } | { mode: 'existing'; name: string };
export type EnvironmentChoice = { mode: 'default' } | { mode: 'customized'; name: string };

export interface OperationSummary {
  id: string;
  kind: OperationKind;
  status: OperationStatus;
  requestedBy: Person;
  createdOn: string;
  endedOn?: string;
  error?: RuntimeError;
}

export interface Runtime {
  name: string;
  type: RuntimeType;
  status: RuntimeStatus;
  statusMessage?: string;
  error?: RuntimeError;
  description?: string;
  imageVersion?: string;
  latestVersion?: string;
  outdated: boolean;
  owner: Person;
  createdOn: string;
  modifiedOn: string;
  lastUsedOn?: string;
  // automatic runtimes
  vmSize?: string;
  idleTimeMinutes?: number;
  idleShutdownAt?: string;
  identity?: Identity;
  baseImage?: string;
  pythonRequirementsTxt?: string;
  /** Requirement lines, redacted. */
  packages?: string[];
  packagesInstalled?: boolean;
  computeName?: string;
  // compute instance runtimes
  computeInstanceName?: string;
  customApplication?: { mode: 'new' | 'existing'; name: string };
  environment?: EnvironmentChoice;
  // managed online deployment runtimes
  endpointName?: string;
  deploymentName?: string;
  instanceType?: string;
  instanceCount?: number;
  activeOperation?: OperationSummary;
  lastOperation?: OperationSummary;
}

export interface CreateAutomaticRuntime {
  type: 'automatic';
  vmSize: string;
  idleTimeMinutes?: number;
  identity?: Identity;
  baseImage?: string;
  pythonRequirementsTxt?: string;
  requirements?: string;
  description?: string;
}

export interface CreateComputeInstanceRuntime {
  type: 'computeInstance';
  computeInstanceName: string;
  customApplication: CustomApplicationChoice;
  environment?: EnvironmentChoice;
  description?: string;
}

export interface CreateManagedOnlineDeploymentRuntime {
  type: 'managedOnlineDeployment';
  endpointName: string;
  deploymentName: string;
  instanceType: string;
  instanceCount?: number;
  description?: string;
}

export type CreateRuntimeRequest =
  CreateAutomaticRuntime | CreateComputeInstanceRuntime | CreateManagedOnlineDeploymentRuntime;

export interface UpdateRuntimeRequest {
  vmSize?: string;
  idleTimeMinutes?: number;
  description?: string;
  environment?: EnvironmentChoice;
  instanceCount?: number;
}

export interface InstallPackagesRequest {
  requirements: string;
  saveOnly?: boolean;
}

export interface OperationStep {
  at: string;
  status: OperationStatus;
  runtimeStatus?: RuntimeStatus;
  message: string;
}

export interface Operation {
  id: string;
  kind: OperationKind;
  runtimeName: string;
  status: OperationStatus;
  requestedBy: Person;
  createdOn: string;
  updatedOn: string;
  endedOn?: string;
  /** The request, redacted: safe to show. */
  input: Record<string, unknown>;
  warnings: string[];
  error?: RuntimeError;
  steps: OperationStep[];
}

export interface Page<T> {
  value: T[];
  nextPageToken?: string;
  nextLink?: string;
}

export interface ComputeInstance {
  name: string;
  vmSize: string;
  status: string;
  owner: Person;
  assignedTo?: Person;
  applications: { name: string; image: string }[];
}

export interface VmSize {
  name: string;
  family: string;
  vCPUs: number;
  memoryGB: number;
  quotaAvailable: boolean;
}

export interface EnvironmentInfo {
  name: string;
  version: string;
  kind: 'default' | 'customized';
  description: string;
}

export interface ManagedIdentity {
  name: string;
  resourceId: string;
  clientId: string;
  acrPull: boolean;
}

export interface ImageVersionInfo {
  tag: string;
  notes?: string;
  publishedOn?: string;
}

export interface VersionsReport {
  repository: string;
  latest?: string;
  versions: ImageVersionInfo[];
  outdated: { name: string; type: RuntimeType; imageVersion?: string; newer: string[] }[];
}

export interface VersionCheck {
  name: string;
  imageVersion?: string;
  latestVersion?: string;
  outdated: boolean;
  newer: ImageVersionInfo[];
}

export type ServiceEventType =
  'runtime.changed' | 'runtime.deleted' | 'operation.started' | 'operation.completed' | 'image.released';

export interface ServiceEvent {
  id: string;
  type: ServiceEventType;
  time: string;
  data: Record<string, unknown>;
}

/** Runtime names: what Azure ML accepts for a session or runtime, and safe in a storage key. */
export const RUNTIME_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_-]{2,62}$';
export const RUNTIME_NAME = new RegExp(RUNTIME_NAME_PATTERN);
export const IDLE_MINUTES = { min: 15, max: 4320, default: 60 } as const;
