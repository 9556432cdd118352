/**
 * Validation of a change for the azureml provider, before anything is sent. It checks what the
 * service can know without calling Azure (so that submitting stays fast and never waits on Azure):
 * field shapes, runtime-type rules, states in which an operation makes sense, image versions.
 * What only Azure knows (quota, compute-instance ownership, identity permissions, name conflicts)
 * is checked by Azure itself when the operation's step sends the request, and its refusal becomes
 * the operation's error.
 */
import { isImageVersion } from '../../../domain/imageVersion';
import {
  type CreateAutomaticRuntime,
  type CreateRuntimeRequest,
  IDLE_MINUTES,
  type OperationKind,
  type Person,
  type UpdateRuntimeRequest,
} from '../../../domain/runtime';
import { AppError, ErrorCode, type FieldErrors, fieldError, invalidField } from '../../../errors';
import { parseRequirements } from '../../../domain/requirements';
import { type PreparedOperation, type RuntimeRecord, runtimeKey } from '../../model';
import { typeLabel } from '../local/prepare';
import type { PendingRequirements } from './pendingRequirements';
import { requirementLines } from './pendingRequirements';
import { STATIC_VM_SIZES } from './reference';

export interface AzurePrepareContext {
  latestVersion: () => Promise<string | undefined>;
  knownVersion: (tag: string) => Promise<boolean>;
  pending: PendingRequirements;
  now: number;
}

const STABLE_IMAGE = /^mcr\.microsoft\.com\/azureml\/promptflow\/promptflow-runtime-stable(?::([^@\s]+))?$/;
const VM_SIZE = /^Standard_[A-Za-z0-9_]{2,60}$/;
const UAI =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i;

export async function prepareAzure(
  kind: OperationKind,
  name: string,
  input: Record<string, unknown>,
  actor: Person,
  current: RuntimeRecord | undefined,
  ctx: AzurePrepareContext,
): Promise<PreparedOperation> {
  switch (kind) {
    case 'create':
      return prepareCreate(name, input as unknown as CreateRuntimeRequest, actor, ctx);
    case 'update':
      return prepareUpdate(input as UpdateRuntimeRequest, current!);
    case 'install':
      return prepareInstall(input as { requirements: string; saveOnly?: boolean }, current!, ctx);
    case 'reset':
      if (current!.type === 'managedOnlineDeployment')
        throw fieldError('type', 'Managed online deployment runtimes cannot be reset; update or stop them instead.');
      requireState(current!, ['Unavailable', 'Stopping'], 'reset');
      return { input: {}, warnings: [] };
    case 'stop':
      return { input: {}, warnings: [] };
    case 'upgrade':
      return prepareUpgrade(current!, ctx);
  }
}

async function prepareCreate(
  name: string,
  req: CreateRuntimeRequest,
  actor: Person,
  ctx: AzurePrepareContext,
): Promise<PreparedOperation> {
  const now = new Date(ctx.now).toISOString();
  const base: RuntimeRecord = {
    name,
    type: req.type,
    status: 'Starting',
    owner: actor,
    createdOn: now,
    modifiedOn: now,
    lastUsedOn: now,
    ...(req.description ? { description: req.description } : {}),
  };
  if (req.type === 'automatic') return prepareAutomatic(req, base, ctx);
  if (req.type === 'computeInstance') {
    const appName =
      req.customApplication.mode === 'existing' ? req.customApplication.name : `${name}-app`.toLowerCase();
    const warnings =
      req.customApplication.mode === 'new'
        ? [
            `Creating a new custom application restarts ${req.computeInstanceName}, which interrupts the jobs running on it.`,
          ]
        : [];
    const initial: RuntimeRecord = {
      ...base,
      computeInstanceName: req.computeInstanceName,
      customApplication: { mode: req.customApplication.mode, name: appName },
      environment: req.environment ?? { mode: 'default' },
    };
    return { input: { ...req }, warnings, initial };
  }
  if (!VM_SIZE.test(req.instanceType)) throw fieldError('instanceType', vmSizeMessage(req.instanceType));
  const size = STATIC_VM_SIZES.find((s) => s.name.toLowerCase() === req.instanceType.toLowerCase());
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

async function prepareAutomatic(
  req: CreateAutomaticRuntime,
  base: RuntimeRecord,
  ctx: AzurePrepareContext,
): Promise<PreparedOperation> {
  const fields: FieldErrors = {};
  const warnings: string[] = [];
  if (!VM_SIZE.test(req.vmSize)) fields.vmSize = vmSizeMessage(req.vmSize);
  const idle = req.idleTimeMinutes ?? IDLE_MINUTES.default;
  const idleError = checkIdle(idle);
  if (idleError) fields.idleTimeMinutes = idleError;
  const identity = req.identity ?? { type: 'user' as const };
  if (identity.type === 'userAssigned' && !UAI.test(identity.resourceId)) {
    fields.identity =
      'A user-assigned managed identity is given by its resource id: /subscriptions/…/resourceGroups/…/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>.';
  }
  let imageVersion = await ctx.latestVersion();
  if (req.baseImage) {
    const stable = STABLE_IMAGE.exec(req.baseImage);
    const tag = stable?.[1];
    if (stable && tag && tag !== 'latest') {
      if (!isImageVersion(tag) || !(await ctx.knownVersion(tag)))
        fields.baseImage = `There is no published image version "${tag}".`;
      imageVersion = tag;
    } else if (!stable) {
      imageVersion = undefined;
      warnings.push('A custom base image must be built FROM the prompt flow runtime image.');
    }
  }
  let packages: string[] = [];
  if (req.requirements !== undefined) {
    const parsed = parseRequirements(req.requirements);
    if (parsed.errors.length) fields.requirements = parsed.errors.map((e) => e.message).join('\n');
    warnings.push(...parsed.warnings.map((w) => w.message));
    const lines = requirementLines(req.requirements);
    packages = lines.redacted;
    if (!parsed.errors.length) ctx.pending.remember('create', runtimeKey(base.name), lines, ctx.now);
  }
  if (Object.keys(fields).length) throw invalidField(Object.values(fields).join(' '), fields);
  const initial: RuntimeRecord = {
    ...base,
    ...(imageVersion ? { imageVersion } : {}),
    vmSize: req.vmSize,
    idleTimeMinutes: idle,
    identity,
    ...(req.baseImage ? { baseImage: req.baseImage } : {}),
    pythonRequirementsTxt: req.pythonRequirementsTxt ?? 'requirements.txt',
    packages,
    packagesInstalled: false,
  };
  return { input: { ...req, requirements: packages.join('\n') }, warnings, initial };
}

function prepareUpdate(req: UpdateRuntimeRequest, current: RuntimeRecord): PreparedOperation {
  const fields: FieldErrors = {};
  const applies: Record<string, RuntimeRecord['type'][]> = {
    vmSize: ['automatic'],
    idleTimeMinutes: ['automatic'],
    environment: ['computeInstance'],
    instanceCount: ['managedOnlineDeployment'],
    description: ['automatic', 'computeInstance', 'managedOnlineDeployment'],
  };
  const changes: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(req)) {
    if (value === undefined) continue;
    if (!applies[field]?.includes(current.type)) {
      fields[field] = `${field} cannot be changed on a ${typeLabel(current.type)} runtime.`;
      continue;
    }
    if (JSON.stringify((current as unknown as Record<string, unknown>)[field]) !== JSON.stringify(value))
      changes[field] = value;
  }
  if (req.vmSize !== undefined && !VM_SIZE.test(req.vmSize)) fields.vmSize = vmSizeMessage(req.vmSize);
  if (req.idleTimeMinutes !== undefined) {
    const err = checkIdle(req.idleTimeMinutes);
    if (err) fields.idleTimeMinutes = err;
  }
  if (Object.keys(fields).length) throw invalidField(Object.values(fields).join(' '), fields);
  if (Object.keys(changes).length === 0)
    throw new AppError(ErrorCode.InvalidField, `Nothing to change: ${current.name} already has those settings.`);
  requireState(current, ['Stopping'], 'edit');
  const warnings = changes.vmSize ? ['A new VM size takes effect after the runtime restarts on it.'] : [];
  return { input: changes, warnings };
}

function prepareInstall(
  req: { requirements: string; saveOnly?: boolean },
  current: RuntimeRecord,
  ctx: AzurePrepareContext,
): PreparedOperation {
  if (current.type !== 'automatic') {
    throw fieldError(
      'requirements',
      `${current.name} is a ${typeLabel(current.type)} runtime: it takes packages through a customized environment, not requirements.txt.`,
    );
  }
  const parsed = parseRequirements(req.requirements);
  if (parsed.errors.length) {
    const message = parsed.errors.map((e) => e.message).join('\n');
    throw invalidField(message, { requirements: message });
  }
  if (parsed.packages.length === 0)
    throw fieldError('requirements', 'There are no packages to install in those lines.');
  if (!req.saveOnly) requireState(current, ['Starting', 'Unavailable', 'Resetting', 'Stopping'], 'install packages on');
  const lines = requirementLines(req.requirements);
  if (!req.saveOnly) ctx.pending.remember('install', runtimeKey(current.name), lines, ctx.now);
  return {
    input: { requirements: lines.redacted.join('\n'), saveOnly: req.saveOnly === true },
    warnings: parsed.warnings.map((w) => w.message),
  };
}

async function prepareUpgrade(current: RuntimeRecord, ctx: AzurePrepareContext): Promise<PreparedOperation> {
  if (current.baseImage && !STABLE_IMAGE.test(current.baseImage)) {
    throw fieldError(
      'baseImage',
      `${current.name} uses a custom base image; change environment.image in flow.dag.yaml, then reset.`,
    );
  }
  const latest = await ctx.latestVersion();
  if (latest && current.imageVersion === latest)
    throw new AppError(ErrorCode.Conflict, `${current.name} already runs the latest image version, ${latest}.`);
  requireState(current, ['Unavailable', 'Stopping'], 'upgrade');
  return { input: latest ? { toVersion: latest } : {}, warnings: [] };
}

function requireState(current: RuntimeRecord, blocked: string[], verb: string): void {
  if (blocked.includes(current.status)) {
    const hint = current.status === 'Unavailable' ? ' Start its compute instance first.' : ' Wait until it settles.';
    throw new AppError(ErrorCode.Conflict, `Cannot ${verb} ${current.name} while it is ${current.status}.${hint}`);
  }
}

function checkIdle(minutes: number): string | undefined {
  if (!Number.isInteger(minutes) || minutes < IDLE_MINUTES.min || minutes > IDLE_MINUTES.max)
    return `Idle time must be a whole number of minutes from ${IDLE_MINUTES.min} to ${IDLE_MINUTES.max}.`;
  return undefined;
}

function vmSizeMessage(vmSize: string): string {
  return `"${vmSize.slice(0, 60)}" is not an Azure VM size; sizes look like Standard_E4ds_v4 (see the VM size list).`;
}
