/**
 * Validation of a change for the azureml provider, before anything is sent. It checks what the
 * service can know without calling Azure (so that submitting stays fast and never waits on Azure):
 * field shapes, runtime-type rules, states in which an operation makes sense, image versions.
 * What only Azure knows (quota, compute-instance ownership, identity permissions, name conflicts)
 * is checked by Azure itself when the operation's step sends the request, and its refusal becomes
 * the operation's error. The rules it shares with the emulator are in ../shared.
 */
import type { CreateRuntimeRequest, Person, UpdateRuntimeRequest } from '../../../domain/runtime';
import type { FieldErrors } from '../../../errors';
import { type PreparedOperation, type RuntimeRecord, runtimeKey } from '../../model';
import type { PrepareArgs } from '../provider';
import {
  checkUpgrade,
  finishUpdate,
  prepareInstall,
  refuseDeploymentReset,
  updateChanges,
} from '../shared/changeRules';
import { checkIdle, requireState, type VmSizeRule } from '../shared/checks';
import { newRecord, prepareNewRuntime } from '../shared/createRules';
import { prepareByKind } from '../shared/prepareByKind';
import type { PendingRequirements } from './pendingRequirements';
import { requirementLines } from './pendingRequirements';
import { STATIC_VM_SIZES } from './reference';

export interface AzurePrepareContext {
  latestVersion: () => Promise<string | undefined>;
  knownVersion: (tag: string) => Promise<boolean>;
  pending: PendingRequirements;
  now: number;
}

/** What azureml tells the user to wait for when a runtime is busy. */
const WAIT = ' Wait until it settles.';
const VM_SIZE = /^Standard_[A-Za-z0-9_]{2,60}$/;
const UAI =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i;

/** Any name shaped like an Azure VM size (Azure refuses one without quota); the static list for memory warnings. */
const VM_SIZES: VmSizeRule = {
  check: async (vmSize) => vmSizeError(vmSize),
  sizes: async () => STATIC_VM_SIZES,
};

export function prepareAzure(args: PrepareArgs, ctx: AzurePrepareContext): Promise<PreparedOperation> {
  return prepareByKind(args, {
    create: (name, req, actor) => prepareCreate(name, req, actor, ctx),
    update: prepareUpdate,
    install: (req, current) =>
      prepareInstall(req, current, WAIT, () => {
        const lines = requirementLines(req.requirements);
        if (!req.saveOnly) ctx.pending.remember('install', runtimeKey(current.name), lines, ctx.now);
        return lines.redacted;
      }),
    reset: (current) => {
      refuseDeploymentReset(current);
      requireState(current, ['Unavailable', 'Stopping'], 'reset', WAIT);
    },
    stop: () => ({}),
    upgrade: async (current) => {
      const latest = await checkUpgrade(current, ctx.latestVersion, ['Unavailable', 'Stopping'], WAIT);
      return latest ? { toVersion: latest } : {};
    },
  });
}

function prepareCreate(
  name: string,
  req: CreateRuntimeRequest,
  actor: Person,
  ctx: AzurePrepareContext,
): Promise<PreparedOperation> {
  const base = newRecord(name, req, actor, new Date(ctx.now).toISOString());
  return prepareNewRuntime(req, base, {
    vmSize: VM_SIZES,
    identityError: async (identity) =>
      UAI.test(identity.resourceId)
        ? undefined
        : 'A user-assigned managed identity is given by its resource id: /subscriptions/…/resourceGroups/…/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>.',
    latestVersion: ctx.latestVersion,
    knownVersion: ctx.knownVersion,
    packages: (text, parsed) => {
      const lines = requirementLines(text);
      if (!parsed.errors.length) ctx.pending.remember('create', runtimeKey(name), lines, ctx.now);
      return lines.redacted;
    },
    automaticRecord: async (automatic, { imageVersion }) => ({
      head: { ...(imageVersion ? { imageVersion } : {}), vmSize: automatic.vmSize },
    }),
    // Ownership, state and applications are Azure's to check when the create is sent.
    computeInstanceHost: async (request) => ({
      computeInstanceName: request.computeInstanceName,
      applicationName:
        request.customApplication.mode === 'existing' ? request.customApplication.name : `${name}-app`.toLowerCase(),
      environment: request.environment ?? { mode: 'default' },
    }),
  });
}

function prepareUpdate(req: UpdateRuntimeRequest, current: RuntimeRecord): PreparedOperation {
  const fields: FieldErrors = {};
  const changes = updateChanges(req, current, fields);
  if (req.vmSize !== undefined) {
    const error = vmSizeError(req.vmSize);
    if (error) fields.vmSize = error;
  }
  if (req.idleTimeMinutes !== undefined) checkIdle(req.idleTimeMinutes, fields);
  // A PUT names an environment by its asset id; no source shows the default environment's.
  if (req.environment?.mode === 'default' && current.environment?.mode === 'customized') {
    fields.environment = `Azure ML takes an environment by its asset id, and the default environment has none the bot knows: switch ${current.name} back to it in Azure ML studio (Update → Use default environment).`;
  }
  return finishUpdate(current, fields, changes, WAIT);
}

function vmSizeError(vmSize: string): string | undefined {
  if (VM_SIZE.test(vmSize)) return undefined;
  return `"${vmSize.slice(0, 60)}" is not an Azure VM size; sizes look like Standard_E4ds_v4 (see the VM size list).`;
}
