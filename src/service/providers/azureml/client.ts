/**
 * HTTP client of the Azure ML prompt flow API (azureml-flow-runtime-api.md): ARM bearer token on
 * every call, `aml-user-token` on session calls, a time limit on every attempt, retries with
 * backoff and a circuit breaker.
 *
 * Retry and idempotency rules (the SDK's, tightened; reliability-perf.md §4):
 * - 408, 429, 502, 503 and 504 are retried, honouring Retry-After (seconds or an HTTP date, and
 *   retry-after-ms / x-ms-retry-after-ms), otherwise exponential backoff with jitter.
 * - 500 is never retried: the SDK dropped it because a retried create then fails with 409.
 * - Only idempotent calls (GET, PUT, DELETE, and POSTs the caller marks idempotent) are retried on
 *   502/503/504, a timeout or a dropped connection. A non-idempotent POST (runtime or session
 *   create, reset) is retried only when Azure certainly did not act on it: 408, 429, or a
 *   connection that was never made. Otherwise the error says `ambiguous`, and the step that sent
 *   it checks Azure's state before sending again (steps.ts: a 409 then means "our first attempt").
 * - A Retry-After longer than the call's budget is not slept on here: the error carries
 *   `retryAfterMs` and the operation's step waits for it without blocking a worker.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../clock';
import { AppError, ErrorCode } from '../../../errors';
import type { Logger } from '../../../logger';
import { azureUrlTemplate, recordAzureAttempt } from '../../../telemetry/azureml';
import { tracedFetch } from '../../../telemetry/httpClient';
import { type Attempt, parseRetryAfter, retry, type RetryPolicy } from '../../../infra/retry';
import { CircuitBreaker } from './breaker';
import { azureError, breakerOpenError, type ErrorContext, transportError } from './errors';

export interface AzureMlClientOptions {
  apiUrl: string;
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  tokens: { get(scope: string): Promise<string> };
  armScope: string;
  amlScope: string;
  clock: Clock;
  log: Logger;
  requestTimeoutMs: number;
  /** Attempts per call, the first included; default 4. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** The most a call sleeps between attempts in total; default 20 s. */
  retryBudgetMs?: number;
  breaker?: CircuitBreaker;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
}

export interface CallOptions {
  query?: Record<string, string | boolean | undefined>;
  body?: unknown;
  /** Adds the `aml-user-token` header (session create and actions). */
  userToken?: boolean;
  /** Default: every method but POST. */
  idempotent?: boolean;
  /** For messages: "runtime chat-dev". */
  what?: string;
}

export interface AzureResponse<T> {
  status: number;
  /** Undefined when the answer had no body: the service sends none on some 2xx answers (a 202 of FlowSessions). */
  body: T | undefined;
  headers: Headers;
}

const RETRY_STATUSES = new Set([408, 429, 502, 503, 504]);
/** Answers that prove Azure did not act on the request, so even a create may be sent again. */
const NOT_PROCESSED = new Set([408, 429]);
/** Connection errors that happen before a byte of the request is sent. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

export class AzureMlClient {
  readonly breaker: CircuitBreaker;
  private readonly origin: string;
  private readonly prefix: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: AzureMlClientOptions) {
    this.breaker = options.breaker ?? new CircuitBreaker(options.clock);
    this.origin = new URL(options.apiUrl).origin;
    const seg = encodeURIComponent;
    this.prefix = `${options.apiUrl}/flow/api/subscriptions/${seg(options.subscriptionId)}/resourceGroups/${seg(
      options.resourceGroup,
    )}/providers/Microsoft.MachineLearningServices/workspaces/${seg(options.workspace)}`;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.fetchImpl = tracedFetch(options.fetch ?? fetch, 'service', azureUrlTemplate);
  }

  get workspace(): string {
    return this.options.workspace;
  }

  /** A call on a workspace path such as `/FlowRuntimes/chat-dev`. */
  call<T>(method: string, path: string, options: CallOptions = {}): Promise<AzureResponse<T>> {
    return this.send<T>(method, `${this.prefix}${path}`, options);
  }

  /**
   * A GET of an absolute URL Azure handed out (an `Azure-AsyncOperation` poll URL). The bot's
   * tokens go only to hosts it trusts (see `trusts`).
   */
  poll<T>(url: string, what: string): Promise<AzureResponse<T>> {
    if (!this.trusts(url)) {
      throw new AppError(
        ErrorCode.Internal,
        `Azure ML gave a status URL on another host for ${what}; not following it.`,
      );
    }
    return this.send<T>('GET', new URL(url).href, { what });
  }

  /**
   * The API's own origin, or an https host in the API host's domain (a regional or private-link
   * host under the same `api.azureml.ms`); never anything else.
   */
  trusts(url: string): boolean {
    if (!URL.canParse(url)) return false;
    const target = new URL(url);
    if (target.origin === this.origin) return true;
    const api = new URL(this.origin);
    const domain = api.hostname.split('.').slice(1).join('.');
    return (
      target.protocol === 'https:' &&
      api.protocol === 'https:' &&
      domain.split('.').length >= 3 &&
      target.hostname.endsWith(`.${domain}`)
    );
  }

  private async send<T>(method: string, url: string, options: CallOptions): Promise<AzureResponse<T>> {
    const ctx: ErrorContext = { workspace: this.options.workspace, what: options.what ?? 'that resource', method };
    const idempotent = options.idempotent ?? method !== 'POST';
    const full = withQuery(url, options.query);
    const policy: RetryPolicy = {
      attempts: this.options.maxAttempts ?? 4,
      baseMs: this.options.baseDelayMs ?? 1000,
      maxMs: this.options.maxDelayMs ?? 30_000,
      retryAfter: 'instead',
      budgetMs: this.options.retryBudgetMs ?? 20_000,
      sleep: this.sleep,
    };
    return retry(policy, async (attempt): Promise<Attempt<AzureResponse<T>>> => {
      const headers = await this.headers(options);
      if (!this.breaker.allow()) throw breakerOpenError(this.breaker.consecutiveFailures, this.breaker.retryInMs);
      const started = Date.now();
      const requestId = randomUUID();
      let response: Response;
      try {
        response = await this.fetchImpl(full, {
          method,
          headers: { ...headers, 'x-ms-client-request-id': requestId },
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
          signal: AbortSignal.timeout(this.options.requestTimeoutMs),
          redirect: 'manual',
        });
      } catch (cause) {
        this.breaker.failure();
        const sent = !NOT_SENT.has(errorCode(cause));
        const error = transportError(cause, ctx, Math.round(this.options.requestTimeoutMs / 1000), sent);
        this.log(method, full, attempt, started, requestId, undefined, error.message);
        return { ok: false, error, retryable: !sent || idempotent };
      }
      const body = await readBody(response);
      const status = response.status;
      if (status >= 500 && status !== 501) this.breaker.failure();
      else this.breaker.success();
      this.log(method, full, attempt, started, requestId, status);
      if (status >= 200 && status < 300)
        return { ok: true, value: { status, body: body as T | undefined, headers: response.headers } };
      const retryAfterMs = retryAfter(response.headers, Date.now()); // an HTTP date is wall-clock time
      const error = azureError(status, body, ctx, retryAfterMs !== undefined ? { retryAfterMs } : {});
      const retryable = RETRY_STATUSES.has(status) && (idempotent || NOT_PROCESSED.has(status));
      return { ok: false, error, retryable, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    });
  }

  private async headers(options: CallOptions): Promise<Record<string, string>> {
    const arm = await this.options.tokens.get(this.options.armScope);
    const user = options.userToken ? await this.options.tokens.get(this.options.amlScope) : undefined;
    return {
      Accept: 'application/json',
      Authorization: `Bearer ${arm}`,
      ...(user ? { 'aml-user-token': user } : {}),
      ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    };
  }

  /** One debug line per attempt: method, path, status and time; never headers or bodies. */
  private log(
    method: string,
    url: string,
    attempt: number,
    started: number,
    requestId: string,
    status?: number,
    error?: string,
  ): void {
    const path = new URL(url).pathname.replace(/^.*\/workspaces\/[^/]+/, '');
    const ms = Date.now() - started;
    recordAzureAttempt({ method, path, attempt, ms, ...(status !== undefined ? { status } : { failed: true }) });
    this.options.log.debug('azureml call', {
      method,
      path,
      attempt,
      ms,
      requestId,
      ...(status !== undefined ? { status } : {}),
      ...(error ? { error } : {}),
    });
  }
}

function withQuery(url: string, query: CallOptions['query']): string {
  if (!query) return url;
  const u = new URL(url);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
  return u.href;
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => '');
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Retry-After in ms: `retry-after-ms`, `x-ms-retry-after-ms`, then Retry-After in seconds or as an HTTP date. */
export function retryAfter(headers: Headers, now: number): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const ms = Number(headers.get(name));
    if (headers.get(name) && Number.isFinite(ms) && ms >= 0) return ms;
  }
  return parseRetryAfter(headers.get('retry-after'), now);
}

function errorCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : '';
}
