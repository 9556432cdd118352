/**
 * The emulator's validation of a change, before anything runs: the rules that the studio's forms
 * and the real service enforce (quota, compute-instance ownership, identity permissions, runtime
 * type rules, states in which an operation makes sense). Field errors name the request field.
 */
import { isImageVersion } from '../../../domain/imageVersion';
import { parseRequirements, redactedRequirementsText } from '../../../domain/requirements';
import {
  type CreateAutomaticRuntime,
  type CreateComputeInstanceRuntime,
  type CreateManagedOnlineDeploymentRuntime,
  type CreateRuntimeRequest,
  IDLE_MINUTES,
  type OperationKind,
  type Person,
  type UpdateRuntimeRequest,
} from '../../../domain/runtime';
import { AppError, ErrorCode, type FieldErrors, fieldError, invalidField } from '../../../errors';
import type { PreparedOperation, RuntimeRecord } from '../../model';
import type { LocalWorkspace } from './workspace';

export interface PrepareContext {
  workspace: LocalWorkspace;
  latestVersion: () => Promise<string | undefined>;
  knownVersion: (tag: string) => Promise<boolean>;
  now: string;
}

const STABLE_IMAGE = /^mcr\.microsoft\.com\/azureml\/promptflow\/promptflow-runtime-stable(?::([^@\s]+))?$/;

export async function prepareLocal(
  kind: OperationKind,
  name: string,
  input: Record<string, unknown>,
  actor: Person,
  current: RuntimeRecord | undefined,
  ctx: PrepareContext,
): Promise<PreparedOperation> {
  switch (kind) {
    case 'create':
      return prepareCreate(name, input as unknown as CreateRuntimeRequest, actor, ctx);
    case 'update':
      return prepareUpdate(input as UpdateRuntimeRequest, current!, ctx);
    case 'install':
      return prepareInstall(input as { requirements: string; saveOnly?: boolean }, current!);
    case 'reset':
      requireState(current!, ['Unavailable'], 'reset');
      if (current!.type === 'managedOnlineDeployment') {
        throw fieldError('type', 'Managed online deployment runtimes cannot be reset; update or stop them instead.');
      }
      return { input: {}, warnings: [] };
    case 'stop':
      return { input: input.reason === 'idle' ? { reason: 'idle' } : {}, warnings: [] };
    case 'upgrade':
      return prepareUpgrade(current!, ctx);
  }
}

async function prepareCreate(
  name: string,
  req: CreateRuntimeRequest,
  actor: Person,
  ctx: PrepareContext,
): Promise<PreparedOperation> {
  const latest = await ctx.latestVersion();
  const base: RuntimeRecord = {
    name,
    type: req.type,
    status: 'Starting',
    owner: ctx.workspace.person(actor.objectId).name ? ctx.workspace.person(actor.objectId) : actor,
    createdOn: ctx.now,
    modifiedOn: ctx.now,
    lastUsedOn: ctx.now,
    imageVersion: latest,
    ...(req.description ? { description: req.description } : {}),
  };
  if (req.type === 'automatic') return prepareAutomatic(req, base, ctx);
  if (req.type === 'computeInstance') return prepareComputeInstance(req, base, actor, ctx);
  return prepareDeployment(req, base, ctx);
}

async function prepareAutomatic(
  req: CreateAutomaticRuntime,
  base: RuntimeRecord,
  ctx: PrepareContext,
): Promise<PreparedOperation> {
  const fields: FieldErrors = {};
  const warnings: string[] = [];
  const vmError = await checkVmSize(req.vmSize, ctx);
  if (vmError) fields.vmSize = vmError;
  const idle = req.idleTimeMinutes ?? IDLE_MINUTES.default;
  const idleError = checkIdle(idle);
  if (idleError) fields.idleTimeMinutes = idleError;
  const identity = req.identity ?? { type: 'user' as const };
  if (identity.type === 'userAssigned') {
    const found = (await ctx.workspace.identities()).find(
      (i) => i.resourceId.toLowerCase() === identity.resourceId.toLowerCase(),
    );
    if (!found) fields.identity = 'That user-assigned managed identity is not in this workspace.';
    else if (!found.acrPull) {
      fields.identity = `${found.name} lacks AcrPull on the workspace's container registry; it pulls the base image and installs packages, so grant it that role first.`;
    }
  }
  let imageVersion = base.imageVersion;
  if (req.baseImage) {
    const stable = STABLE_IMAGE.exec(req.baseImage);
    const tag = stable?.[1];
    if (stable && tag && tag !== 'latest') {
      if (!isImageVersion(tag) || !(await ctx.knownVersion(tag)))
        fields.baseImage = `There is no published image version "${tag}".`;
      imageVersion = tag;
    } else if (!stable) {
      imageVersion = undefined; // a custom image: its version is not ours to track
      warnings.push('A custom base image must be built FROM the prompt flow runtime image.');
    }
  }
  let packages: string[] = [];
  if (req.requirements !== undefined) {
    const parsed = parseRequirements(req.requirements);
    if (parsed.errors.length) fields.requirements = parsed.errors.map((e) => e.message).join('\n');
    warnings.push(...parsed.warnings.map((w) => w.message));
    packages = redactedRequirementsText(parsed)
      .split('\n')
      .filter((l) => l.trim());
  }
  if (Object.keys(fields).length) throw invalidField(summary(fields), fields);
  const initial: RuntimeRecord = {
    ...base,
    imageVersion,
    vmSize: canonicalVmSize(req.vmSize, await ctx.workspace.vmSizes()),
    idleTimeMinutes: idle,
    identity,
    ...(req.baseImage ? { baseImage: req.baseImage } : {}),
    pythonRequirementsTxt: req.pythonRequirementsTxt ?? 'requirements.txt',
    packages,
    packagesInstalled: false,
    computeName: `${base.name}-serverless`.toLowerCase(),
  };
  return { input: { ...req, requirements: packages.join('\n') }, warnings, initial };
}

async function prepareComputeInstance(
  req: CreateComputeInstanceRuntime,
  base: RuntimeRecord,
  actor: Person,
  ctx: PrepareContext,
): Promise<PreparedOperation> {
  const ci = await ctx.workspace.computeInstance(req.computeInstanceName);
  if (!ci)
    throw fieldError(
      'computeInstanceName',
      `There is no compute instance named ${req.computeInstanceName} in this workspace.`,
    );
  if (ci.owner !== actor.objectId && ci.assignedTo !== actor.objectId) {
    const owner = ctx.workspace.person(ci.owner);
    throw fieldError(
      'computeInstanceName',
      `${ci.name} belongs to ${owner.name ?? owner.objectId}; pick one of your own compute instances or one assigned to you.`,
    );
  }
  if (ci.status !== 'Running') {
    throw fieldError('computeInstanceName', `${ci.name} is ${ci.status}; start it before creating a runtime on it.`);
  }
  const warnings: string[] = [];
  let appName: string;
  if (req.customApplication.mode === 'existing') {
    const wanted = req.customApplication.name;
    const app = ci.applications.find((a) => a.name.toLowerCase() === wanted.toLowerCase());
    if (!app) {
      const names = ci.applications.map((a) => a.name).join(', ') || 'none';
      throw fieldError('customApplication', `${ci.name} has no custom application named ${wanted} (it has: ${names}).`);
    }
    appName = app.name;
  } else {
    appName = `pf-${base.name}`.toLowerCase().slice(0, 32);
    warnings.push(`Creating a new custom application restarts ${ci.name}, which interrupts the jobs running on it.`);
  }
  const environment = req.environment ?? { mode: 'default' as const };
  if (environment.mode === 'customized') {
    const env = (await ctx.workspace.environments()).find(
      (e) => e.kind === 'customized' && e.name === environment.name,
    );
    if (!env) throw fieldError('environment', `There is no customized environment named ${environment.name}.`);
  }
  const initial: RuntimeRecord = {
    ...base,
    computeInstanceName: ci.name,
    customApplication: { mode: req.customApplication.mode, name: appName },
    environment,
  };
  return { input: { ...req }, warnings, initial };
}

async function prepareDeployment(
  req: CreateManagedOnlineDeploymentRuntime,
  base: RuntimeRecord,
  ctx: PrepareContext,
): Promise<PreparedOperation> {
  const vmError = await checkVmSize(req.instanceType, ctx);
  if (vmError) throw fieldError('instanceType', vmError);
  const size = (await ctx.workspace.vmSizes()).find((v) => v.name.toLowerCase() === req.instanceType.toLowerCase());
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

async function prepareUpdate(
  req: UpdateRuntimeRequest,
  current: RuntimeRecord,
  ctx: PrepareContext,
): Promise<PreparedOperation> {
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
  if (req.vmSize !== undefined) {
    const err = await checkVmSize(req.vmSize, ctx);
    if (err) fields.vmSize = err;
    else changes.vmSize = canonicalVmSize(req.vmSize, await ctx.workspace.vmSizes());
    if (changes.vmSize === current.vmSize) delete changes.vmSize;
  }
  if (req.idleTimeMinutes !== undefined) {
    const err = checkIdle(req.idleTimeMinutes);
    if (err) fields.idleTimeMinutes = err;
  }
  if (req.environment?.mode === 'customized') {
    const name = req.environment.name;
    const env = (await ctx.workspace.environments()).find((e) => e.kind === 'customized' && e.name === name);
    if (!env) fields.environment = `There is no customized environment named ${name}.`;
  }
  if (Object.keys(fields).length) throw invalidField(summary(fields), fields);
  if (Object.keys(changes).length === 0) {
    throw new AppError(ErrorCode.InvalidField, `Nothing to change: ${current.name} already has those settings.`);
  }
  requireState(current, ['Stopping'], 'edit');
  const warnings = changes.vmSize ? ['A new VM size takes effect after the runtime restarts on it.'] : [];
  return { input: changes, warnings };
}

function prepareInstall(req: { requirements: string; saveOnly?: boolean }, current: RuntimeRecord): PreparedOperation {
  if (current.type !== 'automatic') {
    throw fieldError(
      'requirements',
      `${current.name} is a ${typeLabel(current.type)} runtime: it takes packages through a customized environment, not requirements.txt.`,
    );
  }
  const parsed = parseRequirements(req.requirements);
  if (parsed.errors.length) {
    throw invalidField(parsed.errors.map((e) => e.message).join('\n'), {
      requirements: parsed.errors.map((e) => e.message).join('\n'),
    });
  }
  if (parsed.packages.length === 0)
    throw fieldError('requirements', 'There are no packages to install in those lines.');
  if (!req.saveOnly) requireState(current, ['Starting', 'Unavailable', 'Resetting', 'Stopping'], 'install packages on');
  const lines = redactedRequirementsText(parsed)
    .split('\n')
    .filter((l) => l.trim());
  return {
    input: { requirements: lines.join('\n'), saveOnly: req.saveOnly === true },
    warnings: parsed.warnings.map((w) => w.message),
  };
}

async function prepareUpgrade(current: RuntimeRecord, ctx: PrepareContext): Promise<PreparedOperation> {
  if (current.baseImage && !STABLE_IMAGE.test(current.baseImage)) {
    throw fieldError(
      'baseImage',
      `${current.name} uses a custom base image; change environment.image in flow.dag.yaml, then reset.`,
    );
  }
  const latest = await ctx.latestVersion();
  if (latest && current.imageVersion === latest) {
    throw new AppError(ErrorCode.Conflict, `${current.name} already runs the latest image version, ${latest}.`);
  }
  requireState(current, ['Unavailable'], 'upgrade');
  return { input: { toVersion: latest }, warnings: [] };
}

function requireState(current: RuntimeRecord, blocked: string[], verb: string): void {
  if (blocked.includes(current.status)) {
    const hint = current.status === 'Unavailable' ? ' Start its compute instance first.' : ' Wait until it is Running.';
    throw new AppError(ErrorCode.Conflict, `Cannot ${verb} ${current.name} while it is ${current.status}.${hint}`);
  }
}

async function checkVmSize(vmSize: string, ctx: PrepareContext): Promise<string | undefined> {
  const sizes = await ctx.workspace.vmSizes();
  const size = sizes.find((s) => s.name.toLowerCase() === vmSize.toLowerCase());
  if (!size)
    return `Unknown VM size ${vmSize}. Available: ${sizes
      .filter((s) => s.quotaAvailable)
      .map((s) => s.name)
      .join(', ')}.`;
  if (!size.quotaAvailable) return `The workspace has no quota for ${size.name}; pick another size or request quota.`;
  return undefined;
}

function checkIdle(minutes: number): string | undefined {
  if (!Number.isInteger(minutes) || minutes < IDLE_MINUTES.min || minutes > IDLE_MINUTES.max) {
    return `Idle time must be a whole number of minutes from ${IDLE_MINUTES.min} to ${IDLE_MINUTES.max}.`;
  }
  return undefined;
}

function canonicalVmSize(vmSize: string, sizes: { name: string }[]): string {
  return sizes.find((s) => s.name.toLowerCase() === vmSize.toLowerCase())?.name ?? vmSize;
}

export function typeLabel(type: RuntimeRecord['type']): string {
  return {
    automatic: 'automatic',
    computeInstance: 'compute instance',
    managedOnlineDeployment: 'managed online deployment',
  }[type];
}

function summary(fields: FieldErrors): string {
  return Object.values(fields).join(' ');
}
