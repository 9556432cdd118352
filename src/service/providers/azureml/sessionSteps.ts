/**
 * Automatic runtimes are compute sessions (FlowSessions; the session id is the runtime name), driven
 * as the SDK drove them (a recorded create: test/fixtures/azureml/flowsessions-install.json):
 *   send:  POST FlowSessions/{name} with the full request (VM size, idle time, identity, base image,
 *          requirement lines) and its action: create and install are an Install; reset and upgrade a
 *          Reset, then an Install (the `stage` in the operation's state); edit an Update; stop is a
 *          DELETE. 200 means done; 202 carries an Azure-AsyncOperation URL and, as recorded, no body.
 *   poll:  GET that URL once per step: InProgress (or no status yet) → look again; Succeeded (pip's
 *          warnings may come in error.message) → done, or on to the Install; anything else → the
 *          operation fails with Azure's error, as the SDK reads it.
 *   gone:  a stop whose answer named no URL: GET the session until it is 404.
 * A session is ready when its operation says so. Its compute's provisioningState is not the
 * session's: one compute hosts several sessions and is Succeeded before a new one on it is ready.
 * An Install may be sent again (one in progress is joined: the SDK's advice after a time-out is to
 * submit again), and so may an Update or a DELETE. After an ambiguous Reset, a 409 means it is in
 * progress, and the Install that follows joins it.
 */
import { iso } from '../../../clock';
import { IMAGE_REPOSITORY } from '../../../domain/imageVersion';
import { REDACTED, redactSecrets } from '../../../domain/secrets';
import type { OperationRecord, RuntimeRecord, StepOutcome } from '../../model';
import { type AzureErrorBody, azureStatusOf, isAmbiguous, isRetryable } from './errors';
import {
  type CreateFlowSessionRequest,
  imageVersionOf,
  type RuntimeConfiguration,
  sessionPatch,
  sessionSettings,
  type TrainingSessionDto,
} from './mapping';
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
  type Patch,
  patchRecord,
  retryWrite,
  runPhase,
  timedOut,
} from './stepContext';

const BUSY_STATUS: Record<string, string> = {
  create: 'Starting',
  install: 'Updating',
  reset: 'Resetting',
  upgrade: 'Resetting',
  update: 'Updating',
  stop: 'Stopping',
};

const path = (op: OperationRecord) => `/FlowSessions/${encodeURIComponent(op.runtimeName)}`;
const what = (op: OperationRecord) => `automatic runtime ${op.runtimeName}`;

/** Reset and upgrade run a Reset, then an Install; the state says which one is next. */
type Stage = 'reset' | 'install' | undefined;
const stageOf = (op: OperationRecord): Stage =>
  op.kind === 'reset' || op.kind === 'upgrade' ? (op.state?.stage === 'install' ? 'install' : 'reset') : undefined;

export function stepSession(op: OperationRecord, record: RuntimeRecord, ctx: AzureStepContext): Promise<StepOutcome> {
  // `watch`: operations saved by an earlier version, which watched the session; sending again is safe.
  return runPhase(op, record, ctx, { send, poll, gone, watch: send });
}

async function send(op: OperationRecord, record: RuntimeRecord, ctx: AzureStepContext): Promise<StepOutcome> {
  const request = await requestFor(op, record, ctx);
  if ('outcome' in request) return request.outcome;
  const status = BUSY_STATUS[op.kind];
  const installing = op.kind === 'install' || stageOf(op) === 'install';
  await patchRecord(ctx, op, {
    status,
    statusMessage: installing ? 'Installing packages' : `${status} in Azure ML`,
    error: undefined,
    ...(op.kind === 'install' ? { packages: lines(op.input.requirements), packagesInstalled: false } : {}),
  });
  const carried = { ...op, state: { ...op.state, ...request.state } };
  const state = fresh(carried);
  try {
    const res =
      op.kind === 'stop'
        ? await ctx.client.call('DELETE', path(op), { what: what(op), userToken: true })
        : await ctx.client.call('POST', path(op), {
            what: what(op),
            body: request.body,
            userToken: true,
            idempotent: request.idempotent,
          });
    forgetSecrets(op, ctx);
    if (res.status === 200) return stageDone({ ...op, state }, record, ctx);
    const url = res.headers.get('azure-asyncoperation');
    const message = `Azure ML is working on the ${label(op)} of ${record.name}`;
    if (url && ctx.client.trusts(url)) return next('poll', ctx.pollMs, message, status, { ...state, poll: url });
    if (op.kind === 'stop') return next('gone', ctx.pollMs, message, status, state);
    // The SDK gives up here too: there is nothing to follow.
    await restore(op, ctx);
    return fail(
      'NoStatusUrl',
      `Azure ML accepted the ${label(op)} of ${record.name} but named no status to follow; check it in Azure ML studio.`,
    );
  } catch (error) {
    const code = azureStatusOf(error);
    if (op.kind === 'stop' && code === 404) return finishOk(op, record, ctx);
    // Our earlier Reset, whose answer was lost, is in progress: the Install joins it.
    if (stageOf(op) === 'reset' && code === 409 && op.state?.sent)
      return next('send', ctx.pollMs, `Azure ML is resetting ${record.name}`, status, { ...state, stage: 'install' });
    if (!isRetryable(error)) {
      await restore(op, ctx);
      throw error;
    }
    // A Reset that may have happened is sent again with `sent` marked, so that a 409 reads as in progress.
    const ambiguousReset = isAmbiguous(error) && !request.idempotent;
    return retryWrite(ctx, carried, error, ambiguousReset ? 'send' : undefined);
  }
}

type Request =
  { body?: CreateFlowSessionRequest; idempotent: boolean; state?: Record<string, unknown> } | { outcome: StepOutcome };

async function requestFor(op: OperationRecord, record: RuntimeRecord, ctx: AzureStepContext): Promise<Request> {
  const settings = sessionSettings(record);
  switch (op.kind) {
    case 'create':
    case 'install': {
      const stored = lines(op.input.requirements);
      const raw = stored.length ? ctx.pending.recall(op.kind, op.runtimeKey, stored, ctx.now()) : [];
      if (!raw) {
        return {
          outcome: fail(
            'SecretNotAvailable',
            'The requirements hold a private feed token, which the service keeps only in memory until it is sent, and it restarted in between. Send the request again.',
          ),
        };
      }
      const pip = raw.length ? { pythonPipRequirements: raw } : {};
      return { body: { action: 'Install', ...settings, ...pip }, idempotent: true };
    }
    case 'reset':
    case 'upgrade': {
      const image = op.kind === 'upgrade' ? await upgradeImage(op, ctx) : {};
      if ('outcome' in image) return image;
      // The lines the runtime has, unless a feed token in them was redacted: those cannot be sent again.
      const packages = record.packages ?? [];
      const sendable = !packages.some((l) => l.includes(REDACTED));
      const pip = sendable && packages.length ? { pythonPipRequirements: packages } : {};
      const stage = stageOf(op);
      return {
        body: { action: stage === 'install' ? 'Install' : 'Reset', ...settings, ...image, ...pip },
        idempotent: stage === 'install',
        state: { ...image, linesSent: sendable },
      };
    }
    case 'update': {
      const input = op.input as { vmSize?: string; idleTimeMinutes?: number };
      return {
        body: {
          action: 'Update',
          ...(input.vmSize ? { vmSize: input.vmSize } : {}),
          ...(input.idleTimeMinutes ? { maxIdleTimeSeconds: input.idleTimeMinutes * 60 } : {}),
        },
        idempotent: true,
      };
    }
    default:
      return { idempotent: true };
  }
}

/**
 * The base image of an upgrade: the version it was prepared for, or the one latestConfig names (as
 * Azure gives it); kept in the state so that the Reset and the Install send the same one.
 */
async function upgradeImage(
  op: OperationRecord,
  ctx: AzureStepContext,
): Promise<{ baseImage?: string } | { outcome: StepOutcome }> {
  if (typeof op.state?.baseImage === 'string') return { baseImage: op.state.baseImage };
  const version = op.input.toVersion as string | undefined;
  if (version) return { baseImage: `${IMAGE_REPOSITORY}:${version}` };
  const latest = await attempt(ctx, op, () =>
    ctx.client.call<RuntimeConfiguration>('GET', '/FlowRuntimes/latestConfig', { what: 'the latest runtime version' }),
  );
  if ('outcome' in latest) return latest;
  const baseImage = latest.value.body?.baseImage ?? undefined;
  return baseImage ? { baseImage } : {};
}

async function poll(op: OperationRecord, record: RuntimeRecord, ctx: AzureStepContext): Promise<StepOutcome> {
  const url = String(op.state?.poll ?? '');
  const got = await attemptUnlessGone(ctx, op, () =>
    ctx.client.poll<{ status?: string | null; error?: AzureErrorBody['error'] }>(url, what(op)),
  );
  if ('outcome' in got) return got.outcome;
  // A 404: Azure forgot the operation. Send again what may be sent again; a Reset is followed by its Install.
  if (!got.value) {
    const after = op.kind === 'stop' ? 'gone' : 'send';
    const state = stageOf(op) === 'reset' ? { stage: 'install' } : {};
    return next(after, 1, `Looking at ${record.name} in Azure ML`, undefined, fresh(op, { ...state, poll: undefined }));
  }
  const result = got.value.body ?? {};
  if (result.status === 'Succeeded') return stageDone(op, record, ctx, result.error?.message ?? undefined);
  // As the SDK reads it: InProgress (or no status yet) is not over; anything else is a failure.
  if (result.status && result.status !== 'InProgress')
    return finishFailed(op, ctx, result.error ?? undefined, result.status);
  if (overdue(ctx, op)) return timedOut(ctx, op, record.status);
  return next('poll', ctx.pollMs, `Azure ML is working on the ${label(op)} of ${record.name}`, undefined, fresh(op));
}

/** A stop that named nothing to poll: it is over when the session is gone. */
async function gone(op: OperationRecord, record: RuntimeRecord, ctx: AzureStepContext): Promise<StepOutcome> {
  const got = await attemptUnlessGone(ctx, op, () =>
    ctx.client.call<TrainingSessionDto>('GET', path(op), { what: what(op) }),
  );
  if ('outcome' in got) return got.outcome;
  if (!got.value) return finishOk(op, record, ctx);
  if (overdue(ctx, op)) return timedOut(ctx, op, record.status);
  return next('gone', ctx.pollMs, `Azure ML is deleting ${record.name}`, undefined, fresh(op));
}

/** The Reset of a reset or upgrade is followed by its Install; everything else is finished. */
function stageDone(
  op: OperationRecord,
  record: RuntimeRecord,
  ctx: AzureStepContext,
  pipWarning?: string,
): Promise<StepOutcome> {
  if (stageOf(op) !== 'reset') return finishOk(op, record, ctx, pipWarning);
  return Promise.resolve(
    next('send', 1, `${record.name} was reset; installing its requirements`, BUSY_STATUS[op.kind], {
      ...fresh(op),
      stage: 'install',
      poll: undefined,
      sent: undefined,
    }),
  );
}

async function finishOk(
  op: OperationRecord,
  record: RuntimeRecord,
  ctx: AzureStepContext,
  pipWarning?: string,
): Promise<StepOutcome> {
  if (op.kind === 'stop') {
    await deleteRecord(ctx, op);
    const why = op.input.reason === 'idle' ? ' (idle)' : '';
    return done(`Deleted ${record.name}${why} and its serverless compute`, 'NotExist');
  }
  let facts: Patch = {};
  try {
    facts = sessionPatch((await ctx.client.call<TrainingSessionDto>('GET', path(op), { what: what(op) })).body ?? {});
  } catch (error) {
    ctx.log.debug('session details unavailable after the operation', { operationId: op.id, error });
  }
  const input = op.input as { vmSize?: string; idleTimeMinutes?: number; description?: string; toVersion?: string };
  const restarted = op.kind === 'reset' || op.kind === 'upgrade';
  const linesLost = restarted && op.state?.linesSent === false && (record.packages?.length ?? 0) > 0;
  const upgradedTo =
    op.kind === 'upgrade' ? (input.toVersion ?? imageVersionOf(op.state?.baseImage as string)) : undefined;
  const patch: Patch = {
    ...facts,
    status: 'Running',
    statusMessage: linesLost ? 'Its requirements hold a private feed token: install them again' : undefined,
    error: undefined,
    lastUsedOn: facts.lastUsedOn ?? iso(ctx.now()),
    ...(op.kind === 'update' ? pick(input, ['vmSize', 'idleTimeMinutes', 'description']) : {}),
    ...(upgradedTo ? { imageVersion: upgradedTo } : {}),
    ...((record.packages?.length ?? 0) > 0 || op.kind === 'install' ? { packagesInstalled: !linesLost } : {}),
  };
  await patchRecord(ctx, op, patch);
  const warning = pipWarning ? `; pip warned: ${clip(redactSecrets(pipWarning), 300)}` : '';
  const lost = linesLost ? '; its requirements hold a private feed token, so install them again' : '';
  const text: Record<string, string> = {
    create: `${record.name} is running`,
    install: `Installed the requirements on ${record.name}`,
    reset: `${record.name} was reset and is running`,
    upgrade: `${record.name} was reset on image ${patch.imageVersion ?? 'latest'} and is running`,
    update: `Updated ${record.name}; it is running`,
  };
  return done(`${text[op.kind] ?? `${record.name} is running`}${lost}${warning}`, 'Running');
}

async function finishFailed(
  op: OperationRecord,
  ctx: AzureStepContext,
  error: { code?: string | null; message?: string | null; innerError?: { code?: string } } | undefined,
  status: string | undefined,
): Promise<StepOutcome> {
  const details = clip(redactSecrets(error?.message ?? ''), 4000);
  const pip = error?.innerError?.code === 'PipInstallFailed' || /pip|requirement/i.test(details);
  if (pip && op.kind !== 'update' && op.kind !== 'stop') {
    const runtimeError = { code: 'PackageInstallFailed', message: 'pip install -r requirements.txt failed', details };
    await patchRecord(ctx, op, {
      status: 'Failed',
      statusMessage: 'Package installation failed',
      error: runtimeError,
      packagesInstalled: false,
    });
    return fail(
      'PackageInstallFailed',
      `pip could not install the requirements: ${clip(details.split('\n')[0] ?? '', 300)}`,
      'Failed',
      details,
    );
  }
  const message = `The ${label(op)} of ${op.runtimeName} failed in Azure ML (${status ?? 'Failed'})${details ? `: ${clip(details, 300)}` : ''}.`;
  if (op.kind === 'create') {
    await patchRecord(ctx, op, {
      status: 'Failed',
      statusMessage: 'Not created',
      error: { code: 'SessionFailed', message },
    });
    return fail('SessionFailed', message, 'Failed');
  }
  await restore(op, ctx);
  return fail('SessionFailed', message);
}

/** Puts back the status the runtime had before a change that Azure refused. */
async function restore(op: OperationRecord, ctx: AzureStepContext): Promise<void> {
  const before = op.state?.before;
  if (typeof before === 'string' && op.kind !== 'create')
    await patchRecord(ctx, op, { status: before, statusMessage: undefined });
}

function forgetSecrets(op: OperationRecord, ctx: AzureStepContext): void {
  if (op.kind === 'create' || op.kind === 'install')
    ctx.pending.forget(op.kind, op.runtimeKey, lines(op.input.requirements));
}

function label(op: OperationRecord): string {
  return op.kind === 'install' ? 'package installation' : op.kind;
}

function pick<T extends object>(input: T, keys: (keyof T)[]): Partial<T> {
  return Object.fromEntries(keys.filter((k) => input[k] !== undefined).map((k) => [k, input[k]])) as Partial<T>;
}
