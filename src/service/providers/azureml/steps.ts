/**
 * Operations on compute-instance and managed-online-deployment runtimes, through FlowRuntimes, as
 * phases (automatic runtimes are sessions: sessionSteps.ts):
 *   begin → send: the one write (POST create, PUT update/upgrade/reset, DELETE stop)
 *        → wait: GET the runtime every pollMs until its status settles (Starting/Stopping pass)
 *   create after an ambiguous failure (timeout, 5xx) → confirm: GET; there → wait, missing → send.
 * `begin` makes no call, so that accepting a request never waits on Azure. Statuses are stored as
 * Azure sends them; an unknown one counts as settled and is shown as it comes.
 */
import { iso } from '../../../clock';
import type { RuntimeError } from '../../../domain/runtime';
import { AppError } from '../../../errors';
import type { OperationRecord, RuntimeRecord, StepOutcome } from '../../model';
import { type AzureErrorBody, azureStatusOf, isRetryable } from './errors';
import {
  createRuntimeRequest,
  type FlowRuntimeDto,
  progressOf,
  recordFromDto,
  runtimeError,
  type UpdateFlowRuntimeRequest,
} from './mapping';
import { stepSession } from './sessionSteps';
import {
  attempt,
  attemptUnlessGone,
  type AzureStepContext,
  deleteRecord,
  done,
  fail,
  fresh,
  lines,
  next,
  overdue,
  patchRecord,
  retryWrite,
  runPhase,
  timedOut,
} from './stepContext';

export async function stepAzure(op: OperationRecord, ctx: AzureStepContext): Promise<StepOutcome> {
  const record = await ctx.runtimes.get(op.runtimeKey);
  if (!record) {
    if (op.kind === 'stop') return done(`${op.runtimeName} is deleted`, 'NotExist');
    return fail('RuntimeNotFound', `${op.runtimeName} no longer exists.`);
  }
  if (op.kind === 'install' && op.input.saveOnly) {
    const packages = lines(op.input.requirements);
    await patchRecord(ctx, op, { packages, packagesInstalled: false });
    return done(`Saved requirements.txt (${packages.length} lines) without installing`);
  }
  if (op.phase === 'begin') {
    if (op.kind === 'update' && record.type === 'automatic' && onlyLocalFields(op.input)) {
      await patchRecord(ctx, op, { ...(op.input as Partial<RuntimeRecord>) });
      return done(`Updated the description of ${record.name}`);
    }
    return next(
      'send',
      1,
      `Sending the ${op.kind} of ${record.name} to Azure ML`,
      undefined,
      fresh(op, { before: record.status }),
    );
  }
  let outcome: StepOutcome;
  try {
    outcome = record.type === 'automatic' ? await stepSession(op, record, ctx) : await stepRuntime(op, record, ctx);
  } catch (error) {
    if (error instanceof AppError) await markNotCreated(op, ctx, { code: error.code, message: error.message });
    throw error;
  }
  if (outcome.result && !outcome.result.ok) await markNotCreated(op, ctx, outcome.result.error);
  return outcome;
}

function stepRuntime(op: OperationRecord, record: RuntimeRecord, ctx: AzureStepContext): Promise<StepOutcome> {
  return runPhase(op, record, ctx, { send, confirm, wait });
}

/**
 * A create that failed leaves its record Failed with the reason, for the cards; the next sync
 * removes it when Azure has no such runtime, or mirrors the one Azure has.
 */
async function markNotCreated(op: OperationRecord, ctx: AzureStepContext, error: RuntimeError): Promise<void> {
  if (op.kind !== 'create') return;
  const record = await ctx.runtimes.get(op.runtimeKey);
  if (!record || record.status === 'Failed') return;
  await patchRecord(ctx, op, { status: 'Failed', statusMessage: 'Not created', error });
}

const what = (op: OperationRecord) => `runtime ${op.runtimeName}`;
const path = (op: OperationRecord) => `/FlowRuntimes/${encodeURIComponent(op.runtimeName)}`;

async function send(op: OperationRecord, record: RuntimeRecord, ctx: AzureStepContext): Promise<StepOutcome> {
  if (op.kind === 'create' && record.type === 'computeInstance' && record.customApplication?.mode === 'new') {
    const check = await attempt(ctx, op, () =>
      ctx.client.call<{ isAvailable?: boolean; error?: AzureErrorBody }>('GET', '/FlowRuntimes/checkCiAvailability', {
        query: { computeInstanceName: record.computeInstanceName, customAppName: record.customApplication?.name },
        what: `compute instance ${record.computeInstanceName}`,
      }),
    );
    if ('outcome' in check) return check.outcome;
    if (check.value.body?.isAvailable === false) {
      const why = runtimeError(check.value.body.error);
      const reason = why?.message ?? 'Azure ML says it cannot host a new runtime now';
      return fail(
        why?.code ?? 'NotAvailable',
        `Cannot create ${record.name} on ${record.computeInstanceName}: ${reason}`,
      );
    }
  }
  if (op.kind === 'upgrade') {
    const need = await attempt(ctx, op, () =>
      ctx.client.call<boolean>('GET', `${path(op)}/needUpgrade`, { what: what(op) }),
    );
    if ('outcome' in need) return need.outcome;
    if (need.value.body === false) {
      const got = await ctx.client.call<FlowRuntimeDto>('GET', path(op), { what: what(op) });
      await afterRead(op, ctx, got.body, '');
      return done(`Azure ML reports that ${record.name} already runs the latest version`, got.body.status ?? undefined);
    }
  }
  const call = writeFor(op, record);
  try {
    const sent = await ctx.client.call<FlowRuntimeDto>(call.method, path(op), call.options);
    return afterRead(op, ctx, sent.body, `Azure ML accepted the ${op.kind} of ${record.name}`);
  } catch (error) {
    const status = azureStatusOf(error);
    if (op.kind === 'stop' && status === 404) {
      await deleteRecord(ctx, op);
      return done(`${record.name} was already gone from Azure ML`, 'NotExist');
    }
    // 409 on create: the runtime exists. It is ours if an earlier attempt made it (see confirm).
    if (op.kind === 'create' && status === 409) return confirm(op, record, ctx, error as AppError);
    if (!isRetryable(error)) throw error;
    // A create that may have happened is checked before it is sent again.
    const ambiguous = op.kind === 'create' && error.facts?.ambiguous === true;
    return retryWrite(ctx, op, error, ambiguous ? 'confirm' : undefined);
  }
}

/** The one write of each kind. Reset and upgrade re-apply the runtime with a PUT, which restarts it on the latest image. */
function writeFor(op: OperationRecord, record: RuntimeRecord) {
  const w = { what: what(op) };
  if (op.kind === 'create') return { method: 'POST', options: { ...w, body: createRuntimeRequest(record) } };
  if (op.kind === 'stop') return { method: 'DELETE', options: w };
  const body: UpdateFlowRuntimeRequest = {};
  if (op.kind === 'update') {
    const input = op.input as {
      description?: string;
      environment?: { mode: string; name?: string };
      instanceCount?: number;
    };
    if (input.description !== undefined) body.runtimeDescription = input.description;
    if (input.environment) body.environment = input.environment.mode === 'customized' ? input.environment.name : null;
    if (input.instanceCount !== undefined) body.instanceCount = input.instanceCount;
  }
  return { method: 'PUT', options: { ...w, body } };
}

/**
 * After an ambiguous create, or a 409 on create: is the runtime there? It is ours when it matches
 * what we asked for and is newer than the operation. Missing after an ambiguous failure: send again;
 * missing after a 409: the conflict is about something else (a deployment, an application).
 */
async function confirm(
  op: OperationRecord,
  record: RuntimeRecord,
  ctx: AzureStepContext,
  conflict?: AppError,
): Promise<StepOutcome> {
  if (overdue(ctx, op)) return timedOut(ctx, op);
  try {
    const got = await ctx.client.call<FlowRuntimeDto>('GET', path(op), { what: what(op) });
    // Ours only if an earlier attempt of this operation may have created it (state.sent).
    if (!op.state?.sent || !matches(got.body, record)) return conflictOutcome(op);
    return afterRead(op, ctx, got.body, `Azure ML created ${record.name}`);
  } catch (error) {
    if (azureStatusOf(error) !== 404) throw error;
    if (conflict) return fail(conflict.code, conflict.message);
    return next('send', ctx.pollMs, `Sending the create of ${record.name} again`, undefined, fresh(op));
  }
}

async function wait(op: OperationRecord, record: RuntimeRecord, ctx: AzureStepContext): Promise<StepOutcome> {
  const got = await attemptUnlessGone(ctx, op, () =>
    ctx.client.call<FlowRuntimeDto>('GET', path(op), { what: what(op) }),
  );
  if ('outcome' in got) return got.outcome;
  if (!got.value) {
    if (op.kind !== 'stop')
      return fail('RuntimeNotFound', `${record.name} disappeared from Azure ML during the ${op.kind}.`, 'NotExist');
    await deleteRecord(ctx, op);
    return done(`Deleted ${record.name}`, 'NotExist');
  }
  return afterRead(op, ctx, got.value.body, `${record.name} is ${got.value.body.status ?? 'changing'}`);
}

/** Stores what Azure says about the runtime, and decides: look again, done, or failed. */
async function afterRead(
  op: OperationRecord,
  ctx: AzureStepContext,
  dto: FlowRuntimeDto,
  message: string,
): Promise<StepOutcome> {
  const current = await ctx.runtimes.get(op.runtimeKey);
  const merged = current ? recordFromDto({ ...dto, runtimeName: current.name }, iso(ctx.now()), current) : undefined;
  if (merged) {
    const { activeOperation: _a, lastOperation: _l, ...patch } = merged;
    await patchRecord(ctx, op, { ...patch, statusMessage: merged.statusMessage, error: merged.error });
  }
  const status = dto.status ?? undefined;
  const progress = progressOf(status);
  const stopping = op.kind === 'stop';
  if (progress === 'failed') {
    const error = runtimeError(dto.error);
    const reason = error?.message ?? dto.statusMessage ?? 'Azure ML reports it as Failed';
    return fail(
      error?.code ?? 'RuntimeFailed',
      `The ${op.kind} of ${op.runtimeName} failed: ${reason}`,
      status ?? 'Failed',
    );
  }
  if (progress === 'gone' && !stopping)
    return fail('RuntimeNotFound', `Azure ML reports ${op.runtimeName} as NotExist.`, 'NotExist');
  if (progress === 'busy' || stopping) {
    if (overdue(ctx, op)) return timedOut(ctx, op, status);
    return next('wait', ctx.pollMs, message, status, fresh(op));
  }
  if (status === 'Unavailable' && op.kind === 'create') {
    const why = dto.statusMessage ? `: ${dto.statusMessage}` : '';
    return fail(
      'RuntimeUnavailable',
      `${op.runtimeName} was created but is Unavailable${why}. Start its compute instance.`,
      status,
    );
  }
  return done(`${op.runtimeName} is ${status ?? 'ready'}`, status);
}

/** A 409 on create, or a runtime that is not the one we asked for. */
function conflictOutcome(op: OperationRecord): StepOutcome {
  return fail(
    'conflict',
    `A runtime named ${op.runtimeName} already exists in Azure ML, made outside the bot; it appears in the list after the next sync. Pick another name.`,
  );
}

function matches(dto: FlowRuntimeDto, record: RuntimeRecord): boolean {
  if (record.type === 'computeInstance')
    return dto.runtimeType === 'ComputeInstance' && dto.computeInstanceName === record.computeInstanceName;
  return (
    dto.runtimeType === 'ManagedOnlineEndpoint' &&
    dto.endpointName === record.endpointName &&
    dto.deploymentName === record.deploymentName
  );
}

function onlyLocalFields(input: Record<string, unknown>): boolean {
  return Object.keys(input).every((k) => k === 'description');
}
