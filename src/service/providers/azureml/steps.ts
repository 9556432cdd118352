/**
 * Operations on compute-instance and managed-online-deployment runtimes, through FlowRuntimes, as
 * phases (automatic runtimes are sessions: sessionSteps.ts):
 *   begin → send: the one write, with `asyncCall=true` as every public caller sends it (a create
 *           without it holds the request for the minutes creation takes): POST create; PUT update,
 *           reset and upgrade with the description, environment and instance count the runtime has
 *           (read just before), as Microsoft's update script sends them; DELETE stop. The answer may
 *           be empty: only its status counts.
 *        → wait: GET the runtime every pollMs until it settles. No status is healthy (the API's enum
 *           has no value for it); Starting, Stopping and, while a change is in progress, Unavailable
 *           are not over; NotExist, which a GET answers with 200 after a delete, is gone.
 *   create after an ambiguous failure (timeout, 5xx) → confirm: GET; there → wait, missing → send.
 * `begin` makes no call, so that accepting a request never waits on Azure. Any other status is
 * stored as Azure sends it, counts as settled and is shown as it comes.
 */
import { iso } from '../../../clock';
import type { EnvironmentChoice, RuntimeError } from '../../../domain/runtime';
import { AppError } from '../../../errors';
import type { OperationRecord, RuntimeRecord, StepOutcome } from '../../model';
import { type AzureErrorBody, azureStatusOf, isAmbiguous, isRetryable } from './errors';
import {
  createRuntimeRequest,
  describeStatus,
  environmentChoice,
  type FlowRuntimeDto,
  progressOf,
  recordFromDto,
  type RuntimeConfiguration,
  runtimeError,
  statusOf,
  updateRuntimeRequest,
} from './mapping';
import { stepSession } from './sessionSteps';
import {
  attempt,
  attemptUnlessGone,
  type AzureStepContext,
  clip,
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
/** Every public caller sends it on writes; without it a create holds the request for the minutes it takes. */
const ASYNC = { asyncCall: true };

/** What the record shows between the write and Azure's first answer about the runtime. */
const BUSY_STATUS: Record<string, string> = {
  create: 'Starting',
  update: 'Updating',
  reset: 'Resetting',
  upgrade: 'Updating',
  stop: 'Stopping',
};

async function send(op: OperationRecord, record: RuntimeRecord, ctx: AzureStepContext): Promise<StepOutcome> {
  const prepared = await writeFor(op, record, ctx);
  if ('outcome' in prepared) return prepared.outcome;
  const { method, body } = prepared;
  try {
    // The answer's body may be empty, or a runtime as it was when the write arrived: only the status counts.
    await ctx.client.call(method, path(op), { what: what(op), query: ASYNC, ...(body ? { body } : {}) });
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
    const ambiguous = op.kind === 'create' && isAmbiguous(error);
    return retryWrite(ctx, op, error, ambiguous ? 'confirm' : undefined);
  }
  const busy = BUSY_STATUS[op.kind];
  await patchRecord(ctx, op, { status: busy, statusMessage: undefined, error: undefined });
  return next('wait', ctx.pollMs, `Azure ML accepted the ${op.kind} of ${record.name}`, busy, fresh(op));
}

type Write = { method: 'POST' | 'PUT' | 'DELETE'; body?: unknown } | { outcome: StepOutcome };

/** The one write of each kind, and what must be read first to build it. */
async function writeFor(op: OperationRecord, record: RuntimeRecord, ctx: AzureStepContext): Promise<Write> {
  if (op.kind === 'stop') return { method: 'DELETE' };
  if (op.kind === 'create') {
    const refused = await checkHost(op, record, ctx);
    return refused ? { outcome: refused } : { method: 'POST', body: createRuntimeRequest(record) };
  }
  if (op.kind === 'upgrade') {
    const need = await attempt(ctx, op, () =>
      ctx.client.call<boolean>('GET', `${path(op)}/needUpgrade`, { what: what(op) }),
    );
    if ('outcome' in need) return need;
    if (need.value.body === false) {
      const got = await ctx.client.call<FlowRuntimeDto>('GET', path(op), { what: what(op) });
      const current = got.body ?? {};
      await mirror(op, ctx, current);
      return {
        outcome: done(`Azure ML reports that ${record.name} already runs the latest version`, statusOf(current.status)),
      };
    }
  }
  // A PUT may replace what it is not sent: read what the runtime has, and send all of it.
  const got = await attempt(ctx, op, () => ctx.client.call<FlowRuntimeDto>('GET', path(op), { what: what(op) }));
  if ('outcome' in got) return got;
  const current = got.value.body ?? {};
  if (progressOf(current.status) === 'gone')
    return {
      outcome: fail('RuntimeNotFound', `Azure ML has no runtime ${record.name} any more (NotExist).`, 'NotExist'),
    };
  if (op.kind === 'update') {
    const change = updateChange(op, current);
    return 'outcome' in change ? change : { method: 'PUT', body: updateRuntimeRequest(current, change) };
  }
  const environment = environmentChoice(current.environment);
  if (op.kind === 'upgrade' && environment.mode === 'customized')
    return { outcome: await customizedUpgrade(op, ctx, environment.name) };
  // Reset, and an upgrade on the default environment (which Azure keeps on the latest image): the runtime
  // restarts as it is, "Update → use default environment" in the studio.
  return { method: 'PUT', body: updateRuntimeRequest(current) };
}

/** A new custom application needs a compute instance that can host it: ask before creating. */
async function checkHost(
  op: OperationRecord,
  record: RuntimeRecord,
  ctx: AzureStepContext,
): Promise<StepOutcome | undefined> {
  if (record.type !== 'computeInstance' || record.customApplication?.mode !== 'new') return undefined;
  const check = await attempt(ctx, op, () =>
    ctx.client.call<{ isAvailable?: boolean; error?: AzureErrorBody }>('GET', '/FlowRuntimes/checkCiAvailability', {
      query: { computeInstanceName: record.computeInstanceName, customAppName: record.customApplication?.name },
      what: `compute instance ${record.computeInstanceName}`,
    }),
  );
  if ('outcome' in check) return check.outcome;
  if (check.value.body?.isAvailable !== false) return undefined;
  const why = runtimeError(check.value.body.error);
  const reason = why?.message ?? 'Azure ML says it cannot host a new runtime now';
  return fail(why?.code ?? 'NotAvailable', `Cannot create ${record.name} on ${record.computeInstanceName}: ${reason}`);
}

/** The user's edit, on top of what the runtime has. */
function updateChange(
  op: OperationRecord,
  current: FlowRuntimeDto,
): { description?: string; environment?: string; instanceCount?: number } | { outcome: StepOutcome } {
  const { description, environment, instanceCount } = op.input as {
    description?: string;
    environment?: EnvironmentChoice;
    instanceCount?: number;
  };
  if (environment?.mode === 'default' && environmentChoice(current.environment).mode === 'customized') {
    // No source shows how to name the default environment in a PUT (prepare refuses this too).
    return {
      outcome: fail(
        'DefaultEnvironmentUnsupported',
        `Azure ML takes an environment asset id, and the default environment has none the bot knows: switch ${op.runtimeName} to the default environment in Azure ML studio.`,
      ),
    };
  }
  return {
    ...(description !== undefined ? { description } : {}),
    ...(environment?.mode === 'customized' ? { environment: environment.name } : {}),
    ...(instanceCount !== undefined ? { instanceCount } : {}),
  };
}

/**
 * A runtime on a customized environment keeps that environment's image whatever is sent: it moves to
 * a new image only when the environment is rebuilt on it (the studio says the same). latestConfig
 * names that image.
 */
async function customizedUpgrade(
  op: OperationRecord,
  ctx: AzureStepContext,
  environment: string,
): Promise<StepOutcome> {
  const latest = await attempt(ctx, op, () =>
    ctx.client.call<RuntimeConfiguration>('GET', '/FlowRuntimes/latestConfig', { what: 'the latest runtime version' }),
  );
  if ('outcome' in latest) return latest.outcome;
  const image = latest.value.body?.baseImage ?? 'the latest prompt flow runtime image';
  return fail(
    'CustomizedEnvironment',
    `${op.runtimeName} runs on the customized environment ${clip(environment, 200)}, which keeps its own image. Rebuild that environment FROM ${clip(image, 200)}, then update ${op.runtimeName} with it.`,
  );
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
  const got = await attemptUnlessGone(ctx, op, () =>
    ctx.client.call<FlowRuntimeDto>('GET', path(op), { what: what(op) }),
  );
  if ('outcome' in got) return got.outcome;
  const current = got.value?.body;
  if (!got.value || progressOf(current?.status) === 'gone') {
    if (conflict) return fail(conflict.code, conflict.message);
    return next('send', ctx.pollMs, `Sending the create of ${record.name} again`, undefined, fresh(op));
  }
  // Ours only if an earlier attempt of this operation may have created it (state.sent).
  if (!op.state?.sent || !current || !matches(current, record)) return conflictOutcome(op);
  return afterRead(op, ctx, current, `Azure ML created ${record.name}`);
}

async function wait(op: OperationRecord, record: RuntimeRecord, ctx: AzureStepContext): Promise<StepOutcome> {
  const got = await attemptUnlessGone(ctx, op, () =>
    ctx.client.call<FlowRuntimeDto>('GET', path(op), { what: what(op) }),
  );
  if ('outcome' in got) return got.outcome;
  if (!got.value) return gone(op, record, ctx);
  const dto = got.value.body;
  if (!dto) return lookAgain(op, ctx, `Azure ML said nothing about ${record.name}`);
  return afterRead(op, ctx, dto, `${record.name} is ${describeStatus(dto)}`);
}

/** A 404, or 200 with NotExist: what a stop waits for, and the end of any other operation. */
async function gone(op: OperationRecord, record: RuntimeRecord, ctx: AzureStepContext): Promise<StepOutcome> {
  if (op.kind !== 'stop')
    return fail('RuntimeNotFound', `${record.name} disappeared from Azure ML during the ${op.kind}.`, 'NotExist');
  await deleteRecord(ctx, op);
  return done(`Deleted ${record.name}`, 'NotExist');
}

/** Stores what Azure says about the runtime, and decides: look again, done, or failed. */
async function afterRead(
  op: OperationRecord,
  ctx: AzureStepContext,
  dto: FlowRuntimeDto,
  message: string,
): Promise<StepOutcome> {
  const progress = progressOf(dto.status);
  if (progress === 'gone') {
    const current = await ctx.runtimes.get(op.runtimeKey);
    if (current) return gone(op, current, ctx);
  }
  await mirror(op, ctx, dto);
  const status = statusOf(dto.status);
  if (progress === 'failed') {
    const error = runtimeError(dto.error);
    const reason = error?.message ?? dto.statusMessage ?? 'Azure ML reports it as Failed';
    return fail(error?.code ?? 'RuntimeFailed', `The ${op.kind} of ${op.runtimeName} failed: ${reason}`, status);
  }
  // A stop is over when the runtime is gone; Unavailable is reported while a runtime starts.
  if (op.kind === 'stop' || progress === 'busy' || progress === 'unavailable') {
    if (overdue(ctx, op)) return timedOut(ctx, op, describeStatus(dto));
    return next('wait', ctx.pollMs, message, status, fresh(op));
  }
  return done(`${op.runtimeName} is ${status}`, status);
}

/** Stores what Azure says about the runtime in its record (only while this operation holds it). */
async function mirror(op: OperationRecord, ctx: AzureStepContext, dto: FlowRuntimeDto): Promise<void> {
  const current = await ctx.runtimes.get(op.runtimeKey);
  const merged = current ? recordFromDto({ ...dto, runtimeName: current.name }, iso(ctx.now()), current) : undefined;
  if (!merged) return;
  const { activeOperation: _a, lastOperation: _l, ...patch } = merged;
  await patchRecord(ctx, op, { ...patch, statusMessage: merged.statusMessage, error: merged.error });
}

/** Nothing to judge by (an empty answer): look again, until the operation's deadline. */
function lookAgain(op: OperationRecord, ctx: AzureStepContext, message: string): StepOutcome {
  if (overdue(ctx, op)) return timedOut(ctx, op);
  return next(op.phase, ctx.pollMs, message, undefined, fresh(op));
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
