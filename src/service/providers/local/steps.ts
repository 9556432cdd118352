/**
 * The emulator's status life cycle, as phases of an operation (runtime-semantics.md):
 *   create:  Starting → Running (or Failed when a requirement cannot be installed)
 *   install: Running → Updating → Running | Failed        (save only: no status change)
 *   reset:   → Resetting → Starting → Running              (picks up the latest base image)
 *   stop:    → Stopping → gone
 *   update:  → Updating → Running                          (settings that need no restart apply at once)
 *   upgrade: automatic as reset; others → Updating → Running on the latest version
 * Each phase only sets state, so running a phase twice after a crash does no harm.
 */
import { iso } from '../../../clock';
import { parseRequirements } from '../../../domain/requirements';
import type { RuntimeStatus } from '../../../domain/runtime';
import type { Collection, Stored } from '../../../storage/collection';
import { UNCHANGED } from '../../../storage/collection';
import type { OperationRecord, RuntimeRecord, StepOutcome } from '../../model';
import { installPackages } from './packageIndex';
import type { LocalWorkspace } from './workspace';

export interface LocalTimings {
  startMs: number;
  installMs: number;
  resetMs: number;
  stopMs: number;
  updateMs: number;
}

export interface StepContext {
  runtimes: Collection<RuntimeRecord>;
  workspace: LocalWorkspace;
  timings: LocalTimings;
  now: () => number;
  latestVersion: () => Promise<string | undefined>;
}

type Patch = Partial<RuntimeRecord>;

export async function stepLocal(op: OperationRecord, ctx: StepContext): Promise<StepOutcome> {
  const record = await ctx.runtimes.get(op.runtimeKey);
  if (!record) {
    if (op.kind === 'stop')
      return { message: `${op.runtimeName} is deleted`, runtimeStatus: 'NotExist', result: { ok: true } };
    return fail('RuntimeNotFound', `${op.runtimeName} no longer exists.`);
  }
  const t = ctx.timings;
  const go = (phase: string, waitMs: number, message: string, status?: RuntimeStatus): StepOutcome => ({
    message,
    next: { phase, waitMs },
    ...(status ? { runtimeStatus: status } : {}),
  });
  const set = (patch: Patch) => patchRecord(ctx, op, record, patch);

  switch (`${op.kind}:${op.phase}`) {
    case 'create:begin': {
      const where = record.vmSize ?? record.computeInstanceName ?? record.instanceType;
      const app =
        record.customApplication?.mode === 'new'
          ? ` and a new custom application ${record.customApplication.name}`
          : '';
      return go('ready', t.startMs, `Starting ${record.name} on ${where}${app}`, 'Starting');
    }
    case 'create:ready':
    case 'reset:ready':
    case 'upgrade:ready':
      return finishStart(op, record, ctx);
    case 'install:begin': {
      const requirements = String(op.input.requirements ?? '');
      const packages = requirements.split('\n').filter((l) => l.trim());
      if (op.input.saveOnly) {
        await set({ packages, packagesInstalled: false });
        return {
          message: `Saved requirements.txt (${lines(packages.length)}) without installing`,
          result: { ok: true },
        };
      }
      await set({
        status: 'Updating',
        statusMessage: 'Installing packages',
        error: undefined,
        packages,
        packagesInstalled: false,
      });
      return go('installed', t.installMs, `Installing ${lines(packages.length)} of requirements`, 'Updating');
    }
    case 'install:installed':
      return finishInstall(op, record, ctx, 'Running');
    case 'reset:begin':
    case 'upgrade:begin': {
      if (op.kind === 'upgrade' && record.type !== 'automatic') {
        await set({ status: 'Updating', statusMessage: `Updating to ${op.input.toVersion}` });
        return go('applied', t.updateMs, `Updating ${record.name} to ${op.input.toVersion}`, 'Updating');
      }
      await set({ status: 'Resetting', statusMessage: 'Deleting the runtime to recreate it', error: undefined });
      return go('recreate', t.resetMs, `Deleting ${record.name} to recreate it with the same environment`, 'Resetting');
    }
    case 'reset:recreate':
    case 'upgrade:recreate': {
      const latest = await ctx.latestVersion();
      const pinned = record.baseImage && !record.baseImage.endsWith(':latest');
      const imageVersion = op.kind === 'upgrade' || !pinned ? (latest ?? record.imageVersion) : record.imageVersion;
      await set({ status: 'Starting', statusMessage: 'Starting', imageVersion, packagesInstalled: false });
      return go('ready', t.startMs, `Starting ${record.name} on image ${imageVersion ?? 'custom'}`, 'Starting');
    }
    case 'upgrade:applied': {
      const latest = (op.input.toVersion as string | undefined) ?? (await ctx.latestVersion());
      await set({ status: 'Running', statusMessage: undefined, error: undefined, imageVersion: latest });
      return { message: `${record.name} runs image ${latest}`, runtimeStatus: 'Running', result: { ok: true } };
    }
    case 'stop:begin':
      await set({ status: 'Stopping', statusMessage: op.input.reason === 'idle' ? 'Idle shutdown' : 'Stopping' });
      return go(
        'delete',
        t.stopMs,
        op.input.reason === 'idle'
          ? `${record.name} was idle for ${record.idleTimeMinutes} minutes: stopping it`
          : `Stopping ${record.name}`,
        'Stopping',
      );
    case 'stop:delete':
      return deleteRuntime(op, record, ctx);
    case 'update:begin': {
      const needsRestart =
        op.input.vmSize !== undefined || op.input.environment !== undefined || op.input.instanceCount !== undefined;
      if (!needsRestart) {
        await set({ ...(op.input as Patch) });
        return { message: `Updated ${describeChanges(op.input)}`, result: { ok: true } };
      }
      await set({ status: 'Updating', statusMessage: `Applying ${describeChanges(op.input)}` });
      return go('applied', t.updateMs, `Applying ${describeChanges(op.input)}`, 'Updating');
    }
    case 'update:applied': {
      const latest = await ctx.latestVersion();
      const env = op.input.environment as RuntimeRecord['environment'];
      await set({
        ...(op.input as Patch),
        status: 'Running',
        statusMessage: undefined,
        error: undefined,
        ...(env?.mode === 'default' ? { imageVersion: latest } : {}),
      });
      return { message: `Updated ${describeChanges(op.input)}`, runtimeStatus: 'Running', result: { ok: true } };
    }
    default:
      return fail('UnknownPhase', `The runtime service cannot continue a ${op.kind} from phase ${op.phase}.`);
  }
}

async function finishStart(op: OperationRecord, record: Stored<RuntimeRecord>, ctx: StepContext): Promise<StepOutcome> {
  if (record.type === 'automatic' && (record.packages?.length ?? 0) > 0)
    return finishInstall(op, record, ctx, 'Running');
  await patchRecord(ctx, op, record, {
    status: 'Running',
    statusMessage: undefined,
    error: undefined,
    lastUsedOn: iso(ctx.now()),
  });
  return { message: `${record.name} is running`, runtimeStatus: 'Running', result: { ok: true } };
}

async function finishInstall(
  op: OperationRecord,
  record: Stored<RuntimeRecord>,
  ctx: StepContext,
  okStatus: 'Running',
): Promise<StepOutcome> {
  const parsed = parseRequirements((record.packages ?? []).join('\n'));
  const result = installPackages(parsed.packages, (name) => ctx.workspace.packageVersions(name));
  if (!result.ok) {
    const error = {
      code: 'PackageInstallFailed',
      message: 'pip install -r requirements.txt failed',
      details: result.output.join('\n'),
    };
    await patchRecord(ctx, op, record, {
      status: 'Failed',
      statusMessage: 'Package installation failed',
      error,
      packagesInstalled: false,
    });
    return {
      message: `pip could not install the requirements: ${result.output[0]}`,
      runtimeStatus: 'Failed',
      result: { ok: false, error },
    };
  }
  await patchRecord(ctx, op, record, {
    status: okStatus,
    statusMessage: undefined,
    error: undefined,
    packagesInstalled: true,
    lastUsedOn: iso(ctx.now()),
  });
  return { message: `${record.name} is running; ${result.output[0]}`, runtimeStatus: okStatus, result: { ok: true } };
}

async function deleteRuntime(op: OperationRecord, record: RuntimeRecord, ctx: StepContext): Promise<StepOutcome> {
  let compute = '';
  if (record.type === 'automatic') compute = ` and its serverless compute ${record.computeName}`;
  if (record.type === 'computeInstance' && record.customApplication?.mode === 'new' && record.computeInstanceName) {
    const others = (await ctx.runtimes.all()).filter(
      (r) =>
        r.name !== record.name &&
        r.computeInstanceName === record.computeInstanceName &&
        r.customApplication?.name === record.customApplication?.name,
    );
    if (others.length === 0) {
      await ctx.workspace.instances.update(record.computeInstanceName.toLowerCase(), (ci) =>
        ci
          ? { ...ci, applications: ci.applications.filter((a) => a.name !== record.customApplication?.name) }
          : UNCHANGED,
      );
      compute = ` and its custom application ${record.customApplication.name} on ${record.computeInstanceName}`;
    }
  }
  // The lock was read at the start of this step, and only this operation's end releases it.
  if (record.activeOperation?.id === op.id) await ctx.runtimes.delete(op.runtimeKey);
  return { message: `Deleted ${record.name}${compute}`, runtimeStatus: 'NotExist', result: { ok: true } };
}

/**
 * Applies a patch to the runtime while this operation holds its lock; undefined fields are removed.
 * `record` is the one the step read: the patch is written on it without reading it again.
 */
async function patchRecord(
  ctx: StepContext,
  op: OperationRecord,
  record: Stored<RuntimeRecord>,
  patch: Patch,
): Promise<void> {
  const patched = (r: RuntimeRecord | undefined) => {
    if (!r || r.activeOperation?.id !== op.id) return UNCHANGED;
    const next = { ...r, ...patch, modifiedOn: iso(ctx.now()) } as Record<string, unknown>;
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete next[k];
    return next as unknown as RuntimeRecord;
  };
  await ctx.runtimes.update(op.runtimeKey, patched, undefined, record);
}

function fail(code: string, message: string): StepOutcome {
  return { message, result: { ok: false, error: { code, message } } };
}

function describeChanges(input: Record<string, unknown>): string {
  const parts = Object.entries(input).map(([k, v]) => {
    if (k === 'idleTimeMinutes') return `idle time ${v} minutes`;
    if (k === 'vmSize') return `VM size ${v}`;
    if (k === 'instanceCount') return `instance count ${v}`;
    if (k === 'environment') {
      const env = v as { mode: string; name?: string };
      return env.mode === 'default' ? 'the default environment' : `environment ${env.name}`;
    }
    return k;
  });
  return parts.join(', ') || 'nothing';
}

function lines(n: number): string {
  return n === 1 ? '1 line' : `${n} lines`;
}
