/**
 * A loopback fake of the Azure ML prompt flow API (FlowRuntimes, FlowSessions and the session poll route) for the
 * `azureml` provider's tests, over plain HTTP on 127.0.0.1; the provider takes the base URL (or `discoveryUrl`:
 * GET /discovery answers `{"api": "<base>", …}` like a workspace discovery URL). It behaves like the service as far
 * as recorded exchanges and public callers show it, and takes the unkind option where they do not (runtimes.ts,
 * sessions.ts; sources in test/fixtures/azureml/README.md): it is faithful to the service, not to the provider.
 *
 * Every request goes through, in order:
 *  1. `down`: true answers 503, 'reset' destroys the socket.
 *  2. validation against the OpenAPI document (openapi.ts): path and method, path/query parameters, body schema.
 *     Problems are recorded in `violations` (a test asserts `expect(fake.violations).toEqual([])`).
 *  3. injected faults (`inject()`), which win over everything below, like a gateway's; with `afterHandling` the
 *     operation runs first and its answer is replaced (lost on the way back).
 *  4. the validation result: 404 (unknown path), 405 (unknown method) or 400, as ErrorResponse.
 *  5. `Authorization: Bearer` with an unexpired token the TokenEndpoint issued for https://management.azure.com
 *     (401 otherwise); on session create (FlowSessions POST with action absent/Install/Reset) also an
 *     `aml-user-token` for https://ml.azure.com of the same principal (401 otherwise).
 *  6. the workspace in the path (404 when it is not this fake's), then the role: principals (client or object ids)
 *     in `principalsWithoutRole` get 403 AuthorizationFailed naming the action and the AzureML Data Scientist role.
 *  7. the operation (routes.ts, runtimes.ts, sessions.ts).
 * Every response body is checked against the documented response schema; a mismatch is a bug of the fake: it is
 * answered 500, kept in `responseErrors`, and `close()` throws. `calls` records every request.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, systemClock } from '../../../src/clock';
import { ARM_AUDIENCE, authenticate, authenticateUserToken, authorize } from './auth';
import { errorResponse, FakeApiError, rootError, statusError } from './errors';
import { OpenApiSpec, type Operation } from './openapi';
import { DEFAULT_PACKAGE_INDEX, type PackageIndex } from './pip';
import { errorReply, routes, type Reply } from './routes';
import { SessionState } from './sessions';
import { type ComputeInstance, type RuntimeSeed, RuntimeState } from './runtimes';
import type { Timing, WorkspaceConfig } from './state';
import type { TokenEndpoint } from './tokenEndpoint';

export type { Timing } from './state';

const WORKSPACE_PREFIX =
  '/flow/api/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}';
const MAX_BODY_BYTES = 1 << 20;

export interface FakeAzureMlOptions {
  tokens: Pick<TokenEndpoint, 'verify'>;
  subscriptionId?: string;
  resourceGroup?: string;
  workspace?: string;
  location?: string;
  /** The newest promptflow-runtime-stable tag (default '20251211.v2'). */
  latestVersion?: string;
  /** Runtime creates, updates and deletes (default: done at the 3rd GET, after Unavailable and Starting). */
  runtimeTiming?: Timing;
  /** Session operations (default: Succeeded/Failed on the 2nd poll). */
  sessionTiming?: Timing;
  /** How long a FlowRuntimes write without asyncCall=true holds its answer before a 504 (default 1000 real ms). */
  syncWriteLimitMs?: number;
  /** Client ids or object ids without the AzureML Data Scientist role. */
  principalsWithoutRole?: Iterable<string>;
  clock?: Clock;
  packageIndex?: PackageIndex;
}

export interface FakeAzureMlInfo {
  /** e.g. http://127.0.0.1:41234 — the API host, what the SDK gets by cutting the discovery URL at "discovery". */
  baseUrl: string;
  discoveryUrl: string;
  /** `/flow/api/subscriptions/…/workspaces/<ws>` */
  workspacePath: string;
  /** baseUrl + workspacePath */
  workspaceUrl: string;
}

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  /** 0 when the socket was destroyed. */
  status: number;
  headers: Record<string, string>;
  operationId?: string;
  /** The parsed JSON body (or the raw text when it was not JSON). */
  body?: unknown;
  /** The answer's body; undefined when it was empty. */
  responseBody?: unknown;
}

export interface Violation {
  method: string;
  path: string;
  operationId?: string;
  problems: string[];
}

export interface FaultRule {
  method?: string;
  /** Substring of the request path. */
  pathIncludes?: string;
  status: 408 | 429 | 500 | 502 | 503 | 504 | 401 | 403 | 404 | 409;
  /** Sent as Retry-After on 429 and 503 (default 1). */
  retryAfterSeconds?: number;
  /** How many matching requests get the fault (default 1); counts down. */
  times?: number;
  /**
   * The service acts on the request and the answer is lost on the way back (a gateway timeout after the backend
   * did the work): the caller cannot tell whether anything happened. Default: the request never reaches it.
   */
  afterHandling?: boolean;
}

export class FakeAzureMl {
  readonly calls: RecordedCall[] = [];
  readonly violations: Violation[] = [];
  /** Bugs of the fake: responses that broke the API document, or handler crashes. close() throws if any. */
  readonly responseErrors: string[] = [];
  readonly config: WorkspaceConfig;
  readonly runtimes: RuntimeState;
  readonly sessions: SessionState;
  readonly principalsWithoutRole: Set<string>;
  down: boolean | 'reset' = false;
  private readonly faults: Array<FaultRule & { times: number }> = [];
  private readonly tokens: Pick<TokenEndpoint, 'verify'>;
  private readonly spec = OpenApiSpec.load();
  private server?: http.Server;
  private base = '';

  constructor(options: FakeAzureMlOptions) {
    this.tokens = options.tokens;
    this.config = {
      subscriptionId: options.subscriptionId ?? '0b1f6471-1bf0-4dda-aec3-cb9272f09590',
      resourceGroup: options.resourceGroup ?? 'rg-promptflow',
      workspace: options.workspace ?? 'ws-promptflow',
      location: options.location ?? 'eastus',
      latestVersion: options.latestVersion ?? '20251211.v2',
      runtimeTiming: options.runtimeTiming ?? { polls: 3 },
      sessionTiming: options.sessionTiming ?? { polls: 2 },
      syncWriteLimitMs: options.syncWriteLimitMs ?? 1000,
      clock: options.clock ?? systemClock,
    };
    this.principalsWithoutRole = new Set(options.principalsWithoutRole ?? []);
    this.runtimes = new RuntimeState(this.config);
    this.sessions = new SessionState(this.config, options.packageIndex ?? DEFAULT_PACKAGE_INDEX);
  }

  async start(): Promise<FakeAzureMlInfo> {
    const server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.info;
  }

  /** Stops the server; throws when the fake sent a response that breaks the API document. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (this.responseErrors.length) {
      throw new Error(`FakeAzureMl answered against its API document:\n${this.responseErrors.join('\n')}`);
    }
  }

  get info(): FakeAzureMlInfo {
    if (!this.base) throw new Error('FakeAzureMl: call start() first');
    const { subscriptionId, resourceGroup, workspace } = this.config;
    const workspacePath = `/flow/api/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspace}`;
    return {
      baseUrl: this.base,
      discoveryUrl: `${this.base}/discovery`,
      workspacePath,
      workspaceUrl: `${this.base}${workspacePath}`,
    };
  }

  // ---- seeding and control ----

  addComputeInstance(ci: Omit<ComputeInstance, 'state'> & { state?: ComputeInstance['state'] }): void {
    this.runtimes.computeInstances.set(ci.name, { ...ci, state: ci.state ?? 'Running' });
  }

  setComputeInstanceState(name: string, state: ComputeInstance['state']): void {
    const ci = this.runtimes.computeInstances.get(name);
    if (!ci) throw new Error(`FakeAzureMl: no compute instance ${name}`);
    ci.state = state;
  }

  /** Seeds a runtime directly (default: a healthy CI runtime, no status, on the latest image). */
  addRuntime(seed: RuntimeSeed): void {
    this.runtimes.addRuntime(seed);
  }

  /** null is healthy; 'NotExist' is what a deleted runtime reads. */
  setRuntimeStatus(
    name: string,
    status: string | null,
    details: { statusMessage?: string; error?: string } = {},
  ): void {
    this.runtimes.setStatus(name, status, details);
  }

  setLatestVersion(tag: string): void {
    this.config.latestVersion = tag;
  }

  setTiming(timing: { runtime?: Timing; session?: Timing }): void {
    if (timing.runtime) this.config.runtimeTiming = timing.runtime;
    if (timing.session) this.config.sessionTiming = timing.session;
  }

  /** Finishes every pending runtime transition and session operation now. */
  settle(): void {
    this.runtimes.settle();
    this.sessions.settle();
  }

  /** The next `times` requests matching method/path get `status`, with an ErrorResponse (and Retry-After on 429/503). */
  inject(rule: FaultRule): void {
    this.faults.push({ ...rule, times: rule.times ?? 1 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  callsTo(operationId: string): RecordedCall[] {
    return this.calls.filter((c) => c.operationId === operationId);
  }

  // ---- request handling ----

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', this.base);
      const raw = Buffer.concat(chunks).toString('utf8');
      const call: RecordedCall = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        status: 0,
        headers: Object.fromEntries(
          Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
        ),
        body: raw ? parseOr(raw) : undefined,
      };
      this.calls.push(call);
      if (this.down === 'reset') {
        req.socket.destroy();
        return;
      }
      let operation: Operation | undefined;
      let reply: Reply;
      try {
        const result = await this.dispatch(req, url, raw, size, call);
        operation = result.operation;
        reply = result.reply;
      } catch (error) {
        if (error instanceof FakeApiError) {
          reply = errorReply(error, this.config.location);
        } else {
          this.responseErrors.push(`${call.method} ${call.path} crashed: ${(error as Error).stack ?? String(error)}`);
          reply = errorReply(new FakeApiError(500, 'ServiceError', 'FakeCrashed', String(error)), this.config.location);
        }
      }
      this.send(req, res, call, reply, operation);
    });
  }

  private async dispatch(
    req: http.IncomingMessage,
    url: URL,
    raw: string,
    size: number,
    call: RecordedCall,
  ): Promise<{ reply: Reply; operation?: Operation }> {
    const method = call.method;
    if (this.down) return { reply: errorReply(statusError(503, undefined, false), this.config.location) };
    if (method === 'GET' && url.pathname === '/discovery') {
      const api = this.base;
      return {
        reply: { status: 200, body: { api, catalog: api, experimentation: api, history: api, pipelines: api } },
      };
    }
    const request = this.spec.validate(method, url, raw, req.headers['content-type'], size > MAX_BODY_BYTES);
    const { operation, problems } = request;
    call.operationId = operation?.operationId;
    if (problems.length)
      this.violations.push({ method, path: url.pathname, operationId: operation?.operationId, problems });

    const fault = this.faults.find(
      (f) =>
        f.times > 0 &&
        (!f.method || f.method.toUpperCase() === method) &&
        (!f.pathIncludes || url.pathname.includes(f.pathIncludes)),
    );
    if (fault) fault.times -= 1;
    const faultReply = fault && errorReply(statusError(fault.status, fault.retryAfterSeconds), this.config.location);
    if (faultReply && !fault.afterHandling) return { reply: faultReply, operation };
    if (!request.operation) {
      const innerCode = request.status === 405 ? 'MethodNotAllowed' : 'NotFound';
      throw new FakeApiError(request.status ?? 404, 'UserError', innerCode, problems[0]);
    }
    if (problems.length) {
      throw new FakeApiError(400, 'ValidationError', 'BadArgument', `The request is invalid: ${problems.join('; ')}`, {
        details: problems.map((message) => ({ code: 'BadArgument', message })),
      });
    }
    const { operation: op, pathParams, query, body } = request;
    const caller = authenticate(this.tokens, req.headers.authorization, ARM_AUDIENCE, 'Authorization');
    if (op.operationId === 'FlowSessions_CreateFlowSession') {
      authenticateUserToken(this.tokens, (body as { action?: string } | undefined)?.action, req.headers, caller);
    }
    if (op.template.startsWith(WORKSPACE_PREFIX)) {
      authorize(this.config, this.principalsWithoutRole, op, pathParams, caller);
    }
    const handler = routes[op.operationId];
    if (!handler)
      throw new FakeApiError(501, 'ServiceError', 'NotImplemented', `${op.operationId} is not implemented.`);
    const answered = (async () =>
      handler({
        params: pathParams,
        query,
        body,
        caller,
        config: this.config,
        runtimes: this.runtimes,
        sessions: this.sessions,
        pollUrl: (o) =>
          `${this.info.workspaceUrl}/FlowSessions/${encodeURIComponent(o.sessionId)}/${o.urlAction}/locations/${o.location}/operations/${o.id}?api-version=2021-03-01-preview&type=location`,
      }))();
    if (!faultReply) return { reply: await answered, operation: op };
    await answered.catch((error: unknown) => {
      if (!(error instanceof FakeApiError)) throw error;
    });
    return { reply: faultReply, operation: op };
  }

  private send(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    call: RecordedCall,
    reply: Reply,
    operation: Operation | undefined,
  ): void {
    let { status, body } = reply;
    const documented = call.path !== '/discovery';
    const problems = documented ? this.spec.checkResponse(status < 300 ? operation : undefined, status, body) : [];
    if (problems.length) {
      const message = `${call.method} ${call.path} → ${status}: ${problems.join('; ')}`;
      this.responseErrors.push(message);
      console.error(`FakeAzureMl bug: ${message}`);
      status = 500;
      body = errorResponse(rootError('ServiceError', 'FakeResponseInvalid', message), this.config.location);
    }
    call.status = status;
    call.responseBody = body;
    const requestId = req.headers['x-ms-client-request-id'];
    res.writeHead(status, {
      ...(body === undefined ? { 'content-length': '0' } : { 'content-type': 'application/json; charset=utf-8' }),
      'x-ms-request-id': randomUUID(),
      ...(typeof requestId === 'string' ? { 'x-ms-client-request-id': requestId } : {}),
      ...(problems.length ? {} : reply.headers),
    });
    res.end(body === undefined ? '' : JSON.stringify(body));
  }
}

function parseOr(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
