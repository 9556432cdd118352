/** /v1/runtimes: list, get, create (PUT), edit (PATCH + If-Match), and the runtime actions. */
import type { Request, Response } from 'restify';
import { type OperationKind, RUNTIME_NAME } from '../../domain/runtime';
import { AppError, badRequest, ErrorCode, fieldError } from '../../errors';
import { type actorOf, requireActor } from '../http/auth';
import { readJson } from '../http/body';
import { represent, sendRepresentation } from '../http/conditional';
import { handle, param, query, type RouteRegistrar, type ServiceDeps, sendJson } from '../http/route';
import type { RequestSchemaName } from '../http/schemas';
import { validateBody } from '../http/validate';
import { toOperation } from '../model';
import { sha256 } from '../operations/engine';

const CREATE_SCHEMAS: Record<string, RequestSchemaName> = {
  automatic: 'CreateAutomaticRuntime',
  computeInstance: 'CreateComputeInstanceRuntime',
  managedOnlineDeployment: 'CreateManagedOnlineDeploymentRuntime',
};

const ACTIONS: Record<string, { kind: OperationKind; schema: RequestSchemaName }> = {
  install: { kind: 'install', schema: 'InstallPackages' },
  reset: { kind: 'reset', schema: 'Empty' },
  stop: { kind: 'stop', schema: 'Empty' },
  upgrade: { kind: 'upgrade', schema: 'Empty' },
};

export const registerRuntimeRoutes: RouteRegistrar = (server, deps) => {
  server.get('/v1/runtimes', handle(deps, listRuntimes));
  server.get(
    '/v1/summary',
    handle(deps, async (req, res) => sendRepresentation(req, res, await deps.views.summary(), position(deps))),
  );
  server.get('/v1/runtimes/:name', handle(deps, getRuntime));
  server.get('/v1/runtimes/:name/version', handle(deps, checkVersion));
  server.put('/v1/runtimes/:name', handle(deps, createRuntime));
  server.patch('/v1/runtimes/:name', handle(deps, updateRuntime));
  server.post('/v1/runtimes/:name/:action', handle(deps, runtimeAction));
};

async function listRuntimes(req: Request, res: Response, deps: ServiceDeps): Promise<void> {
  const q = query(req);
  const pageSize = q.has('pageSize') ? Number(q.get('pageSize')) : 50;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) {
    throw badRequest('pageSize must be a whole number from 1 to 500.', { pageSize: 'must be 1 to 500' });
  }
  const list = (name: string) =>
    q
      .get(name)
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const types = list('type');
  const unknownType = types?.find((t) => !Object.hasOwn(CREATE_SCHEMAS, t));
  if (unknownType)
    throw badRequest(
      `Unknown runtime type "${unknownType.slice(0, 40)}"; use automatic, computeInstance or managedOnlineDeployment.`,
    );
  const page = await deps.views.list({
    status: list('status'),
    type: types,
    pageSize,
    pageToken: q.get('pageToken') ?? undefined,
  });
  const next = page.nextPageToken ? new URLSearchParams(q) : undefined;
  next?.set('pageToken', page.nextPageToken!);
  const body = { ...page, ...(next ? { nextLink: `/v1/runtimes?${next}` } : {}) };
  sendRepresentation(req, res, represent(body), position(deps));
}

/** Which events an answer reflects: a client that follows the log knows when to ask again. */
function position(deps: ServiceDeps): Record<string, string> {
  const id = deps.views.lastEventId();
  return id ? { 'X-Last-Event-Id': id } : {};
}

async function getRuntime(req: Request, res: Response, deps: ServiceDeps): Promise<void> {
  const { runtime, eTag } = await deps.views.get(param(req, 'name'));
  sendJson(res, 200, runtime, { ETag: `"${eTag}"` });
}

async function checkVersion(req: Request, res: Response, deps: ServiceDeps): Promise<void> {
  sendJson(res, 200, await deps.views.versionCheck(param(req, 'name')));
}

async function createRuntime(req: Request, res: Response, deps: ServiceDeps): Promise<void> {
  const name = checkName(param(req, 'name'));
  const actor = requireActor(req);
  const body = await readJson(req, deps.maxBodyBytes);
  const type = (body as { type?: unknown } | undefined)?.type;
  const schema = typeof type === 'string' && Object.hasOwn(CREATE_SCHEMAS, type) ? CREATE_SCHEMAS[type] : undefined;
  if (!schema) {
    throw badRequest('type must be automatic, computeInstance or managedOnlineDeployment.', {
      type: 'is required: automatic, computeInstance or managedOnlineDeployment',
    });
  }
  const input = validateBody<Record<string, unknown>>(schema, body);
  await submit(req, res, deps, 'create', name, input, actor);
}

async function updateRuntime(req: Request, res: Response, deps: ServiceDeps): Promise<void> {
  const name = param(req, 'name');
  const actor = requireActor(req);
  const input = validateBody<Record<string, unknown>>('UpdateRuntime', (await readJson(req, deps.maxBodyBytes)) ?? {});
  await submit(req, res, deps, 'update', name, input, actor);
}

async function runtimeAction(req: Request, res: Response, deps: ServiceDeps): Promise<void> {
  const action = Object.hasOwn(ACTIONS, param(req, 'action')) ? ACTIONS[param(req, 'action')] : undefined;
  if (!action)
    throw badRequest(`Unknown action "${param(req, 'action').slice(0, 40)}"; use install, reset, stop or upgrade.`);
  const actor = requireActor(req);
  const input = validateBody<Record<string, unknown>>(action.schema, (await readJson(req, deps.maxBodyBytes)) ?? {});
  await submit(req, res, deps, action.kind, param(req, 'name'), input, actor);
}

async function submit(
  req: Request,
  res: Response,
  deps: ServiceDeps,
  kind: OperationKind,
  name: string,
  input: Record<string, unknown>,
  actor: NonNullable<ReturnType<typeof actorOf>>,
): Promise<void> {
  const idempotencyKey = header(req, 'idempotency-key');
  if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) {
    throw badRequest('Idempotency-Key must be 1 to 200 visible ASCII characters.');
  }
  const ifMatch = header(req, 'if-match')?.replace(/^W\//, '').replace(/"/g, '');
  const request = {
    kind,
    runtimeName: name,
    input,
    actor,
    fingerprint: sha256(JSON.stringify([kind, name.toLowerCase(), input])),
    ...(idempotencyKey ? { idempotencyKey } : {}),
    ...(ifMatch ? { ifMatch } : {}),
  };
  // ?validateOnly=true checks the change without starting it (approval flows ask before they wait).
  // A refused If-Match names an ETag that came from the read model: make sure the next read gives
  // the stored one, even if the write that moved it announced nothing (a crash's leftovers).
  const refreshIfStale = async (error: unknown): Promise<never> => {
    if (error instanceof AppError && error.code === ErrorCode.PreconditionFailed) await deps.views.refresh(name);
    throw error;
  };
  if (query(req).get('validateOnly') === 'true') {
    const checked = await deps.engine.validate(request).catch(refreshIfStale);
    sendJson(
      res,
      200,
      { valid: true, input: checked.input, warnings: checked.warnings },
      checked.eTag ? { ETag: `"${checked.eTag}"` } : {},
    );
    return;
  }
  const { operation, created } = await deps.engine.submit(request).catch(refreshIfStale);
  const location = `/v1/operations/${operation.id}`;
  sendJson(res, 202, toOperation(operation), {
    'Operation-Location': location,
    Location: location,
    ...(created ? {} : { 'Idempotent-Replayed': 'true' }),
  });
}

function checkName(name: string): string {
  if (!RUNTIME_NAME.test(name)) {
    throw fieldError(
      'name',
      `"${name.slice(0, 70)}" is not a valid runtime name: use 3 to 63 letters, digits, - or _, starting with a letter.`,
    );
  }
  return name;
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
