/**
 * How both providers check and build a new runtime: the fields every record starts with, then by
 * type: an automatic runtime (automaticRules.ts), a compute-instance runtime on a host the
 * provider has checked as far as it can, or a deployment with a usable instance type and a
 * warning when it has little memory. What differs between the providers is a parameter
 * (`CreateRules`): the emulator checks against its workspace, azureml only shapes.
 */
import type {
  CreateAutomaticRuntime,
  CreateComputeInstanceRuntime,
  CreateManagedOnlineDeploymentRuntime,
  CreateRuntimeRequest,
  EnvironmentChoice,
  Person,
} from '../../../domain/runtime';
import { fieldError } from '../../../errors';
import type { PreparedOperation, RuntimeRecord } from '../../model';
import { type AutomaticRules, type CheckedAutomatic, checkAutomatic, preparedAutomatic } from './automaticRules';
import { findVmSize, type VmSizeRule } from './checks';

/** Where a compute-instance runtime goes. */
export interface ComputeInstanceHost {
  computeInstanceName: string;
  applicationName: string;
  environment: EnvironmentChoice;
}

export interface CreateRules extends AutomaticRules {
  /** An automatic runtime's image version and VM size as recorded, and what only the provider records. */
  automaticRecord(
    req: CreateAutomaticRuntime,
    checked: CheckedAutomatic,
  ): Promise<{ head: Partial<RuntimeRecord>; tail?: Partial<RuntimeRecord> }>;
  /** The compute instance, application and environment of a new runtime, checked as far as the provider can. */
  computeInstanceHost(req: CreateComputeInstanceRuntime): Promise<ComputeInstanceHost>;
}

/** The fields every new runtime starts with; `extra` (the emulator's image version) goes before the description. */
export function newRecord(
  name: string,
  req: CreateRuntimeRequest,
  owner: Person,
  now: string,
  extra: Partial<RuntimeRecord> = {},
): RuntimeRecord {
  return {
    name,
    type: req.type,
    status: 'Starting',
    owner,
    createdOn: now,
    modifiedOn: now,
    lastUsedOn: now,
    ...extra,
    ...(req.description ? { description: req.description } : {}),
  };
}

/** Checks a new runtime of any type, starting from its `base` record (newRecord). */
export async function prepareNewRuntime(
  req: CreateRuntimeRequest,
  base: RuntimeRecord,
  rules: CreateRules,
): Promise<PreparedOperation> {
  if (req.type === 'automatic') {
    const checked = await checkAutomatic(req, rules);
    const { head, tail } = await rules.automaticRecord(req, checked);
    return preparedAutomatic(req, { ...base, ...head }, checked, tail);
  }
  if (req.type === 'computeInstance') return preparedComputeInstance(req, base, await rules.computeInstanceHost(req));
  return prepareDeployment(req, base, rules.vmSize);
}

/** A new application restarts the compute instance, which the user is warned about. */
function preparedComputeInstance(
  req: CreateComputeInstanceRuntime,
  base: RuntimeRecord,
  host: ComputeInstanceHost,
): PreparedOperation {
  const initial: RuntimeRecord = {
    ...base,
    computeInstanceName: host.computeInstanceName,
    customApplication: { mode: req.customApplication.mode, name: host.applicationName },
    environment: host.environment,
  };
  const warnings =
    req.customApplication.mode === 'new'
      ? [
          `Creating a new custom application restarts ${host.computeInstanceName}, which interrupts the jobs running on it.`,
        ]
      : [];
  return { input: { ...req }, warnings, initial };
}

async function prepareDeployment(
  req: CreateManagedOnlineDeploymentRuntime,
  base: RuntimeRecord,
  vmSize: VmSizeRule,
): Promise<PreparedOperation> {
  const vmError = await vmSize.check(req.instanceType);
  if (vmError) throw fieldError('instanceType', vmError);
  const size = findVmSize(await vmSize.sizes(), req.instanceType);
  const warnings =
    size && size.memoryGB <= 8
      ? [`${size.name} has ${size.memoryGB} GB of memory; more than 8 GB is recommended.`]
      : [];
  const initial: RuntimeRecord = {
    ...base,
    endpointName: req.endpointName,
    deploymentName: req.deploymentName,
    instanceType: size?.name ?? req.instanceType,
    instanceCount: req.instanceCount ?? 1,
  };
  return { input: { ...req }, warnings, initial };
}
