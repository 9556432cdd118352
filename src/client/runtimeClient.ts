/**
 * Typed HTTP client of the runtime service. The bot always goes through it, also when the service
 * runs in the same process, so the same code works against a shared deployment. Reads retry with
 * backoff; writes retry only with an Idempotency-Key, which makes a retry safe. The summary and
 * list pages are kept and revalidated (readCache.ts).
 */
import type {
  ComputeInstance,
  EnvironmentInfo,
  ImageVersionInfo,
  ManagedIdentity,
  Operation,
  OperationKind,
  Page,
  Person,
  Runtime,
  ServiceEvent,
  VersionCheck,
  VersionsReport,
  VmSize,
} from '../domain/runtime';
import { RUNTIME_NAME } from '../domain/runtime';
import type { OnCallSummary } from '../domain/summary';
import { AppError, ErrorCode, type FieldErrors, RuntimeServiceError } from '../errors';
import { type Attempt, type BackoffPolicy, parseRetryAfter, retry, type RetryPolicy } from '../infra/retry';
import { ReadCache } from './readCache';
import { serviceUrlTemplate, tracedFetch } from '../telemetry/httpClient';

export interface RuntimeClientOptions {
  baseUrl: string;
  token?: string;
  timeoutMs?: number;
  /** Attempts for reads and idempotent writes. */
  attempts?: number;
  fetch?: typeof fetch;
  /**
   * Summary and list pages are kept and revalidated with If-None-Match. With `quietMs`, a kept
   * answer is used without asking while this process reads the event log and it shows nothing
   * newer (see readCache.ts); give it only where something polls `events()` every second.
   */
  readCache?: { quietMs?: number; maxAgeMs?: number };
}

interface CallOptions {
  actor?: Person;
  body?: unknown;
  idempotencyKey?: string;
  ifMatch?: string;
  ifNoneMatch?: string;
}

const RETRYABLE = new Set([408, 429, 502, 503, 504]);
/** 200 ms doubling, up to half again as long; the service's Retry-After instead when it sends one; 5 s at most. */
const RETRY: BackoffPolicy = { baseMs: 200, maxMs: 5000, jitter: [1, 1.5], retryAfter: 'instead' };

export class RuntimeClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly cache: ReadCache;

  constructor(private readonly options: RuntimeClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    // Each attempt is a client span that carries `traceparent` to the service (when telemetry is on).
    this.fetchImpl = tracedFetch(options.fetch ?? fetch, 'bot', serviceUrlTemplate);
    this.cache = new ReadCache({
      quietMs: options.readCache?.quietMs ?? 0,
      maxAgeMs: options.readCache?.maxAgeMs ?? 10_000,
      maxEntries: 64,
      now: () => performance.now(),
    });
  }

  listRuntimes(
    query: { status?: string; type?: string; pageSize?: number; pageToken?: string } = {},
  ): Promise<Page<Runtime>> {
    const q = new URLSearchParams(
      Object.entries(query)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)] as [string, string]),
    );
    return this.cachedGet(`/v1/runtimes${q.size ? `?${q}` : ''}`);
  }

  /** The on-call summary, computed by the service. */
  summary(): Promise<OnCallSummary> {
    return this.cachedGet('/v1/summary');
  }

  /** Every runtime, following pages. */
  async allRuntimes(): Promise<Runtime[]> {
    const out: Runtime[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.listRuntimes({ pageSize: 500, ...(pageToken ? { pageToken } : {}) });
      out.push(...page.value);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out;
  }

  async getRuntime(name: string): Promise<{ runtime: Runtime; eTag?: string }> {
    const { body, headers } = await this.request<Runtime>('GET', `/v1/runtimes/${enc(name)}`, {});
    return { runtime: body, eTag: headers.get('etag')?.replace(/"/g, '') ?? undefined };
  }

  /**
   * Any change by kind: the one way the bot changes runtimes. The Idempotency-Key is required: it
   * makes a retry (here, after a lost answer, or the user's after an error) return the first
   * operation instead of starting a second one.
   */
  async change(
    kind: OperationKind,
    name: string,
    body: Record<string, unknown>,
    actor: Person,
    options: ChangeOptions,
  ): Promise<Operation> {
    return this.call(CHANGE_ROUTES[kind][0], changePath(kind, name), { actor, body, ...options });
  }

  /** Checks a change without starting it (the service's validateOnly). */
  async validateChange(
    kind: OperationKind,
    name: string,
    body: Record<string, unknown>,
    actor: Person,
  ): Promise<{ input: Record<string, unknown>; warnings: string[] }> {
    return this.call(CHANGE_ROUTES[kind][0], `${changePath(kind, name)}?validateOnly=true`, { actor, body });
  }

  async getOperation(id: string): Promise<Operation> {
    if (!OPERATION_ID.test(id))
      throw new RuntimeServiceError(ErrorCode.NotFound, 'There is no such operation.', { status: 404 });
    return this.call('GET', `/v1/operations/${id}`);
  }

  async checkVersion(name: string): Promise<VersionCheck> {
    return this.call('GET', `/v1/runtimes/${enc(name)}/version`);
  }

  versions(): Promise<VersionsReport> {
    return this.call('GET', '/v1/versions');
  }

  publishVersion(tag: string, notes: string | undefined, actor: Person): Promise<ImageVersionInfo> {
    return this.call('POST', '/v1/versions', { actor, body: { tag, ...(notes ? { notes } : {}) } });
  }

  /** One page of the service's event log after `after` (a cursor); `head` is the newest id. */
  async events(after: string, limit = 100): Promise<{ value: ServiceEvent[]; next: string; head: string }> {
    const page = await this.call<{ value: ServiceEvent[]; next: string; head: string }>(
      'GET',
      `/v1/events?after=${encodeURIComponent(after)}&limit=${limit}`,
    );
    this.cache.sawLog(page.head);
    return page;
  }

  async computeInstances(usableBy?: Person): Promise<ComputeInstance[]> {
    const q = usableBy ? `?usableBy=${encodeURIComponent(usableBy.objectId)}` : '';
    return (await this.call<{ value: ComputeInstance[] }>('GET', `/v1/compute-instances${q}`)).value;
  }

  async vmSizes(): Promise<VmSize[]> {
    return (await this.call<{ value: VmSize[] }>('GET', '/v1/vm-sizes')).value;
  }

  async environments(): Promise<EnvironmentInfo[]> {
    return (await this.call<{ value: EnvironmentInfo[] }>('GET', '/v1/environments')).value;
  }

  async identities(): Promise<ManagedIdentity[]> {
    return (await this.call<{ value: ManagedIdentity[] }>('GET', '/v1/identities')).value;
  }

  private async call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    if (method === 'GET') return (await this.request<T>(method, path, options)).body;
    try {
      return (await this.request<T>(method, path, options)).body;
    } finally {
      this.cache.wrote();
    }
  }

  /** A read the client keeps: used as it is between events, revalidated otherwise. */
  private async cachedGet<T>(path: string): Promise<T> {
    const fresh = this.cache.fresh<T>(path);
    if (fresh !== undefined) return fresh;
    const started = this.cache.begin();
    const kept = this.cache.kept<T>(path);
    const answer = await this.request<T>('GET', path, kept ? { ifNoneMatch: kept.eTag } : {});
    const eTag = answer.headers.get('etag');
    const reflects = answer.headers.get('x-last-event-id');
    if (answer.status === 304 && kept) {
      this.cache.confirm(path, started, kept.body, kept.eTag, reflects);
      return kept.body;
    }
    if (eTag) this.cache.confirm(path, started, answer.body, eTag, reflects);
    return answer.body;
  }

  private async request<T>(
    method: string,
    path: string,
    options: CallOptions,
  ): Promise<{ body: T; headers: Headers; status: number }> {
    const retryable = method === 'GET' || options.idempotencyKey !== undefined;
    const policy: RetryPolicy = { ...RETRY, attempts: retryable ? (this.options.attempts ?? 3) : 1 };
    try {
      return await retry(policy, async (): Promise<Attempt<{ body: T; headers: Headers; status: number }>> => {
        try {
          const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
            method,
            headers: this.headers(options),
            ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
            signal: AbortSignal.timeout(this.options.timeoutMs ?? 8000),
          });
          if (response.status === 304 && options.ifNoneMatch)
            return { ok: true, value: { body: undefined as T, headers: response.headers, status: 304 } };
          if (response.ok)
            return {
              ok: true,
              value: { body: (await response.json()) as T, headers: response.headers, status: response.status },
            };
          const error = await toError(response);
          const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
          const again = RETRYABLE.has(response.status) || error.retryable;
          return { ok: false, error, retryable: again, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
        } catch (error) {
          // No answer (refused, reset, timed out) or an unreadable one: worth another try.
          return { ok: false, error, retryable: !(error instanceof AppError) || error.retryable };
        }
      });
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError(ErrorCode.Unavailable, `The runtime service at ${this.baseUrl} is unreachable.`, {
        cause: error,
      });
    }
  }

  private headers(options: CallOptions): Record<string, string> {
    return {
      Accept: 'application/json',
      ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(this.options.token ? { Authorization: `Bearer ${this.options.token}` } : {}),
      ...(options.actor ? { 'X-Acting-User-Id': options.actor.objectId } : {}),
      ...(options.actor?.name ? { 'X-Acting-User-Name': encodeURIComponent(options.actor.name) } : {}),
      ...(options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {}),
      ...(options.ifMatch ? { 'If-Match': `"${options.ifMatch}"` } : {}),
      ...(options.ifNoneMatch ? { 'If-None-Match': options.ifNoneMatch } : {}),
    };
  }
}

/** Maps a problem+json answer to a coded error with the service's specific detail. */
async function toError(response: Response): Promise<RuntimeServiceError> {
  let problem: { detail?: string; code?: string; errors?: FieldErrors; operationId?: string } = {};
  try {
    problem = (await response.json()) as typeof problem;
  } catch {
    // not JSON: keep the status alone
  }
  const detail = problem.detail ?? `The runtime service answered ${response.status}.`;
  const answer = { status: response.status, ...(problem.operationId ? { operationId: problem.operationId } : {}) };
  const error = (code: ErrorCode, message: string, more: { fields?: FieldErrors; retryable?: boolean } = {}) =>
    new RuntimeServiceError(code, message, { ...answer, ...more });
  switch (response.status) {
    case 400:
      return error(ErrorCode.BadRequest, detail, { fields: problem.errors });
    case 404:
      return error(ErrorCode.NotFound, detail);
    case 409:
      return error(problem.code === ErrorCode.Busy ? ErrorCode.Busy : ErrorCode.Conflict, detail);
    case 412:
      return error(ErrorCode.PreconditionFailed, detail);
    case 422:
      return error(
        problem.code === ErrorCode.IdempotencyMismatch ? ErrorCode.IdempotencyMismatch : ErrorCode.InvalidField,
        detail,
        { fields: problem.errors },
      );
    case 413:
      return error(ErrorCode.BadRequest, detail);
    case 405:
    case 415:
      return error(ErrorCode.Internal, `The runtime service refused the bot's request (${response.status}): ${detail}`);
    case 429:
    case 503:
      if (problem.code === ErrorCode.Overloaded || problem.code === ErrorCode.TooManyRequests) {
        // Busy, not broken: the service changed nothing and says when to try again.
        return error(ErrorCode.Overloaded, detail, { retryable: true });
      }
      return error(ErrorCode.Unavailable, `The runtime service is having trouble (${response.status}).`, {
        retryable: true,
      });
    case 401:
    case 403:
      return error(
        ErrorCode.Unavailable,
        'The bot is not allowed to call the runtime service; check RUNTIME_SERVICE_TOKEN.',
      );
    default:
      return error(ErrorCode.Unavailable, `The runtime service is having trouble (${response.status}).`, {
        retryable: RETRYABLE.has(response.status),
      });
  }
}

/**
 * A runtime name as a path segment. URL parsers resolve `.` and `..` (even as %2E), so a name
 * that is not a valid runtime name never reaches the URL: no such runtime can exist.
 */
function enc(name: string): string {
  if (!RUNTIME_NAME.test(name))
    throw new RuntimeServiceError(ErrorCode.NotFound, `There is no runtime named ${name.slice(0, 70)}.`, {
      status: 404,
    });
  return encodeURIComponent(name);
}

const OPERATION_ID = /^[0-9a-f-]{36}$/i;

export interface ChangeOptions {
  idempotencyKey: string;
  ifMatch?: string;
}

const CHANGE_ROUTES: Record<OperationKind, [string, string]> = {
  create: ['PUT', ''],
  update: ['PATCH', ''],
  install: ['POST', '/install'],
  reset: ['POST', '/reset'],
  stop: ['POST', '/stop'],
  upgrade: ['POST', '/upgrade'],
};

function changePath(kind: OperationKind, name: string): string {
  return `/v1/runtimes/${kind === 'create' ? createName(name) : enc(name)}${CHANGE_ROUTES[kind][1]}`;
}

/** A new runtime's name: a bad one is the name field's problem, not a missing runtime. */
function createName(name: string): string {
  if (!RUNTIME_NAME.test(name)) {
    const message = `${name.slice(0, 70)} is not a valid runtime name: use 3 to 63 letters, digits, - or _, starting with a letter.`;
    throw new RuntimeServiceError(ErrorCode.InvalidField, message, { fields: { name: message }, status: 422 });
  }
  return encodeURIComponent(name);
}
