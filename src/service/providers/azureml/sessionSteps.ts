/**
 * Automatic runtimes are compute sessions (FlowSessions; the session id is the runtime name):
 *   send:  POST FlowSessions/{name} (create: no action, i.e. Install of a new session; install:
 *          Install; reset and upgrade: Reset, with the new base image for an upgrade; edit:
 *          Update) or DELETE (stop). 200 means done; 202 carries an Azure-AsyncOperation URL
 *   poll:  GET that URL once per step: InProgress → look again; Succeeded (pip's warnings may
 *          come in error.message) → done; Failed → the pip error becomes the operation's error
 *   watch: GET the session itself, when there is no poll URL (an ambiguous write, a 202 without
 *          the header): its provisioningState says when it is done.
 * Install and Update are idempotent (the same requirements or settings again change nothing), so
 * they may be resent; create and Reset are not, so after an ambiguous failure they are watched.
 */
import { iso } from '../../../clock';
import { IMAGE_REPOSITORY } from '../../../domain/imageVersion';
import { redactSecrets } from '../../../domain/secrets';
import type { OperationRecord, RuntimeRecord, StepOutcome } from '../../model';
import { type AzureErrorBody, azureStatusOf, isRetryable } from './errors';
import {
  type CreateFlowSessionRequest,
  progressOf,
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

export function stepSession(op: OperationRecord, record: RuntimeRecord, ctx: AzureStepContext): Promise<StepOutcome> {
  return runPhase(op, record, ctx, { send, poll, watch });
}

async function send(op: OperationRecord, record: RuntimeRecord, ctx: AzureStepContext): Promise<StepOutcome> {
  const request = await requestFor(op, record, ctx);
  if ('outcome' in request) return request.outcome;
  const status = BUSY_STATUS[op.kind];
  await patchRecord(ctx, op, {
    status,
    statusMessage: op.kind === 'install' ? 'Installing packages' : `${status} in Azure ML`,
    error: undefined,
    ...(op.kind === 'install' ? { packages: lines(op.input.requirements), packagesInstalled: false } : {}),
  });
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
    if (res.status === 200) return finishOk(op, record, ctx);
    const url = res.headers.get('azure-asyncoperation');
    const message = `Azure ML is working on the ${label(op)} of ${record.name}`;
    if (!url || !ctx.client.trusts(url)) return next('watch', ctx.pollMs, message, status, fresh(op));
    return next('poll', ctx.pollMs, message, status, fresh(op, { poll: url }));
  } catch (error) {
    const code = azureStatusOf(error);
    if (op.kind === 'stop' && code === 404) return finishOk(op, record, ctx);
    if (op.kind === 'create' && code === 409 && op.state?.sent)
      return next('watch', ctx.pollMs, `Azure ML is still creating ${record.name}`, status, fresh(op));
    if (!isRetryable(error)) {
      await restore(op, ctx);
      throw error;
    }
    // A create or reset that may have happened is watched, not sent again.
    const watchIt = error.facts?.ambiguous === true && !request.idempotent;
    return retryWrite(ctx, op, error, watchIt ? 'watch' : undefined);
  }
}

type Request = { body?: CreateFlowSessionRequest; idempotent: boolean } | { outcome: StepOutcome };

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
      return op.kind === 'create'
        ? { body: { ...settings, ...pip }, idempotent: false }
        : { body: { action: 'Install', ...pip }, idempotent: true };
    }
    case 'reset':
      return { body: { action: 'Reset', ...settings }, idempotent: false };
    case 'upgrade': {
      let version = op.input.toVersion as string | undefined;
      if (!version) {
        const latest = await attempt(ctx, op, () =>
          ctx.client.call<RuntimeConfiguration>('GET', '/FlowRuntimes/latestConfig', {
            what: 'the latest runtime version',
          }),
        );
        if ('outcome' in latest) return latest;
        version = latest.value.body?.version ?? undefined;
      }
      const baseImage = version ? `${IMAGE_REPOSITORY}:${version}` : undefined;
      return { body: { action: 'Reset', ...settings, ...(baseImage ? { baseImage } : {}) }, idempotent: false };
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

async function poll(op: OperationRecord, record: RuntimeRecord, ctx: AzureStepContext): Promise<StepOutcome> {
  const url = String(op.state?.poll ?? '');
  const got = await attemptUnlessGone(ctx, op, () =>
    ctx.client.poll<{ status?: string; error?: AzureErrorBody['error'] }>(url, what(op)),
  );
  if ('outcome' in got) return got.outcome;
  // A 404: the operation is forgotten, so look at the session.
  if (!got.value) return next('watch', 1, `Looking at ${record.name} in Azure ML`, undefined, fresh(op));
  const result = got.value.body ?? {};
  if (result.status === 'Succeeded') return finishOk(op, record, ctx, result.error?.message ?? undefined);
  // As the SDK reads it: InProgress (or no status yet) is not over; anything else is a failure.
  if (result.status && progressOf(result.status) !== 'busy')
    return finishFailed(op, ctx, result.error ?? undefined, result.status);
  if (overdue(ctx, op)) return timedOut(ctx, op, record.status);
  return next('poll', ctx.pollMs, `Azure ML is working on the ${label(op)} of ${record.name}`, undefined, fresh(op));
}

async function watch(op: OperationRecord, record: RuntimeRecord, ctx: AzureStepContext): Promise<StepOutcome> {
  const got = await attemptUnlessGone(ctx, op, () =>
    ctx.client.call<TrainingSessionDto>('GET', path(op), { what: what(op) }),
  );
  if ('outcome' in got) return got.outcome;
  if (!got.value) {
    if (op.kind === 'stop') return finishOk(op, record, ctx);
    // An ambiguous create that did not happen: send it again.
    if (op.kind === 'create' && op.state?.sent && !overdue(ctx, op))
      return next('send', ctx.pollMs, `Sending the create of ${record.name} again`, undefined, fresh(op));
    return finishFailed(op, ctx, { message: `Azure ML has no session named ${record.name}.` }, 'NotExist');
  }
  const state = got.value.body?.compute?.properties?.provisioningState ?? undefined;
  if (op.kind !== 'stop' && state === 'Succeeded') return finishOk(op, record, ctx);
  if (state === 'Failed') return finishFailed(op, ctx, { message: `The session's compute is ${state}.` }, state);
  if (overdue(ctx, op)) return timedOut(ctx, op, state ?? record.status);
  return next('watch', ctx.pollMs, `${record.name} is ${state ?? 'changing'} in Azure ML`, undefined, fresh(op));
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
  const patch: Patch = {
    ...facts,
    status: 'Running',
    statusMessage: undefined,
    error: undefined,
    lastUsedOn: facts.lastUsedOn ?? iso(ctx.now()),
    ...(op.kind === 'update' ? pick(input, ['vmSize', 'idleTimeMinutes', 'description']) : {}),
    ...(op.kind === 'upgrade' && input.toVersion ? { imageVersion: input.toVersion } : {}),
    ...((record.packages?.length ?? 0) > 0 || op.kind === 'install' ? { packagesInstalled: true } : {}),
  };
  await patchRecord(ctx, op, patch);
  const warning = pipWarning ? `; pip warned: ${clip(redactSecrets(pipWarning), 300)}` : '';
  const text: Record<string, string> = {
    create: `${record.name} is running`,
    install: `Installed the requirements on ${record.name}`,
    reset: `${record.name} was reset and is running`,
    upgrade: `${record.name} was reset on image ${patch.imageVersion ?? 'latest'} and is running`,
    update: `Updated ${record.name}; it is running`,
  };
  return done(`${text[op.kind] ?? `${record.name} is running`}${warning}`, 'Running');
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
