/**
 * The emulator's validation of a change, before anything runs: the rules that the studio's forms
 * and the real service enforce (quota, compute-instance ownership, identity permissions, runtime
 * type rules, states in which an operation makes sense). Field errors name the request field.
 * The rules it shares with the azureml provider are in ../shared; what is here needs the
 * emulated workspace.
 */
import { type ParsedRequirements, redactedRequirementsText } from '../../../domain/requirements';
import type {
  CreateComputeInstanceRuntime,
  CreateRuntimeRequest,
  Person,
  UpdateRuntimeRequest,
  VmSize,
} from '../../../domain/runtime';
import { type FieldErrors, fieldError } from '../../../errors';
import type { PreparedOperation, RuntimeRecord } from '../../model';
import type { PrepareArgs } from '../provider';
import {
  checkUpgrade,
  finishUpdate,
  prepareInstall,
  refuseDeploymentReset,
  updateChanges,
} from '../shared/changeRules';
import { checkIdle, findVmSize, requireState, type VmSizeRule } from '../shared/checks';
import { type ComputeInstanceHost, newRecord, prepareNewRuntime } from '../shared/createRules';
import { prepareByKind } from '../shared/prepareByKind';
import type { LocalWorkspace } from './workspace';

export interface PrepareContext {
  workspace: LocalWorkspace;
  latestVersion: () => Promise<string | undefined>;
  knownVersion: (tag: string) => Promise<boolean>;
  now: string;
}

/** What the emulator tells the user to wait for when a runtime is busy. */
const WAIT = ' Wait until it is Running.';

export function prepareLocal(args: PrepareArgs, ctx: PrepareContext): Promise<PreparedOperation> {
  return prepareByKind(args, {
    create: (name, req, actor) => prepareCreate(name, req, actor, ctx),
    update: (req, current) => prepareUpdate(req, current, ctx),
    install: (req, current) => prepareInstall(req, current, WAIT, redactedLines),
    reset: (current) => {
      requireState(current, ['Unavailable'], 'reset', WAIT);
      refuseDeploymentReset(current);
    },
    stop: (input) => (input.reason === 'idle' ? { reason: 'idle' } : {}),
    upgrade: async (current) => ({ toVersion: await checkUpgrade(current, ctx.latestVersion, ['Unavailable'], WAIT) }),
  });
}

async function prepareCreate(
  name: string,
  req: CreateRuntimeRequest,
  actor: Person,
  ctx: PrepareContext,
): Promise<PreparedOperation> {
  const latest = await ctx.latestVersion();
  const owner = ctx.workspace.person(actor.objectId).name ? ctx.workspace.person(actor.objectId) : actor;
  const base = newRecord(name, req, owner, ctx.now, { imageVersion: latest });
  return prepareNewRuntime(req, base, {
    vmSize: vmSizeRule(ctx),
    identityError: (identity) => identityError(identity.resourceId, ctx),
    latestVersion: async () => latest,
    knownVersion: ctx.knownVersion,
    packages: (_text, parsed) => redactedLines(parsed),
    automaticRecord: async (automatic, checked) => ({
      head: {
        imageVersion: checked.imageVersion,
        vmSize: canonicalVmSize(automatic.vmSize, await ctx.workspace.vmSizes()),
      },
      tail: { computeName: `${name}-serverless`.toLowerCase() },
    }),
    computeInstanceHost: (request) => computeInstanceHost(request, name, actor, ctx),
  });
}

/** A user-assigned identity must be in the workspace, with AcrPull on its registry. */
async function identityError(resourceId: string, ctx: PrepareContext): Promise<string | undefined> {
  const found = (await ctx.workspace.identities()).find((i) => i.resourceId.toLowerCase() === resourceId.toLowerCase());
  if (!found) return 'That user-assigned managed identity is not in this workspace.';
  if (!found.acrPull)
    return `${found.name} lacks AcrPull on the workspace's container registry; it pulls the base image and installs packages, so grant it that role first.`;
  return undefined;
}

/** The instance must be the actor's (or assigned to them) and running; an existing application must be on it. */
async function computeInstanceHost(
  req: CreateComputeInstanceRuntime,
  name: string,
  actor: Person,
  ctx: PrepareContext,
): Promise<ComputeInstanceHost> {
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
  let applicationName: string;
  if (req.customApplication.mode === 'existing') {
    const wanted = req.customApplication.name;
    const app = ci.applications.find((a) => a.name.toLowerCase() === wanted.toLowerCase());
    if (!app) {
      const names = ci.applications.map((a) => a.name).join(', ') || 'none';
      throw fieldError('customApplication', `${ci.name} has no custom application named ${wanted} (it has: ${names}).`);
    }
    applicationName = app.name;
  } else {
    applicationName = `pf-${name}`.toLowerCase().slice(0, 32);
  }
  const environment = req.environment ?? { mode: 'default' as const };
  if (environment.mode === 'customized') {
    const error = await environmentError(environment.name, ctx);
    if (error) throw fieldError('environment', error);
  }
  return { computeInstanceName: ci.name, applicationName, environment };
}

async function prepareUpdate(
  req: UpdateRuntimeRequest,
  current: RuntimeRecord,
  ctx: PrepareContext,
): Promise<PreparedOperation> {
  const fields: FieldErrors = {};
  const changes = updateChanges(req, current, fields);
  if (req.vmSize !== undefined) {
    const err = await checkVmSize(req.vmSize, ctx);
    if (err) fields.vmSize = err;
    else changes.vmSize = canonicalVmSize(req.vmSize, await ctx.workspace.vmSizes());
    if (changes.vmSize === current.vmSize) delete changes.vmSize;
  }
  if (req.idleTimeMinutes !== undefined) checkIdle(req.idleTimeMinutes, fields);
  if (req.environment?.mode === 'customized') {
    const err = await environmentError(req.environment.name, ctx);
    if (err) fields.environment = err;
  }
  return finishUpdate(current, fields, changes, WAIT);
}

/** Requirement lines as stored: redacted, without blank lines. */
function redactedLines(parsed: ParsedRequirements): string[] {
  return redactedRequirementsText(parsed)
    .split('\n')
    .filter((l) => l.trim());
}

/** The emulator's VM sizes: those of its workspace, usable where it has quota. */
function vmSizeRule(ctx: PrepareContext): VmSizeRule {
  return { check: (vmSize) => checkVmSize(vmSize, ctx), sizes: () => ctx.workspace.vmSizes() };
}

async function checkVmSize(vmSize: string, ctx: PrepareContext): Promise<string | undefined> {
  const sizes = await ctx.workspace.vmSizes();
  const size = findVmSize(sizes, vmSize);
  if (!size)
    return `Unknown VM size ${vmSize}. Available: ${sizes
      .filter((s) => s.quotaAvailable)
      .map((s) => s.name)
      .join(', ')}.`;
  if (!size.quotaAvailable) return `The workspace has no quota for ${size.name}; pick another size or request quota.`;
  return undefined;
}

async function environmentError(name: string, ctx: PrepareContext): Promise<string | undefined> {
  const env = (await ctx.workspace.environments()).find((e) => e.kind === 'customized' && e.name === name);
  return env ? undefined : `There is no customized environment named ${name}.`;
}

function canonicalVmSize(vmSize: string, sizes: VmSize[]): string {
  return findVmSize(sizes, vmSize)?.name ?? vmSize;
}
