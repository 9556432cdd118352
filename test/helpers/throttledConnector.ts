/**
 * A loopback Bot Connector that enforces the Teams contract for proactive sends, for fan-out tests.
 *
 * - Rate limits, as sliding windows over accepted sends (a rejected request does not count): per
 *   conversation (per bot per thread) 7/1 s, 8/2 s, 60/30 s, 1800/3600 s for message sends, replies
 *   and conversation creates; updates (PUT) are not limited. Plus a global cap per second across all
 *   conversations. Over a limit: 429, `Retry-After` in whole seconds (rounded up to when the window
 *   frees) and `{"error":{"code":"Throttled","message":…}}`, as the real service answers.
 * - Deterministic fault injection (`faults`, or the seeded `randomFaults` plan): 403 for removed or
 *   blocked bots, 412, 429, 5xx; a 5xx can be "delivered" (the message exists although the sender saw
 *   an error), which is how a retried POST makes a duplicate.
 * - The contract: a JSON body with a `type`, bodies over about 100 KB get 413 `MessageSizeTooBig`,
 *   unknown routes 404, conversation ids URL-decoded.
 *
 * It is a LoopbackConnector, so `sent()`, `updates()`, `latestText()` and `waitFor()` work as
 * before on what was accepted. Each request costs O(log n) in the conversation's own history: the
 * limiter keeps one timestamp array per conversation, trimmed to the largest window.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LoopbackConnector, type RecordedCall } from './connector';

export interface RateLimit {
  limit: number;
  windowMs: number;
}

/** Per bot per thread, for sends and conversation creates (Teams documentation). */
export const TEAMS_CONVERSATION_LIMITS: readonly RateLimit[] = [
  { limit: 7, windowMs: 1_000 },
  { limit: 8, windowMs: 2_000 },
  { limit: 60, windowMs: 30_000 },
  { limit: 1_800, windowMs: 3_600_000 },
];

export type ConnectorActivity = RecordedCall['activity'];

/** send: POST …/activities; reply: POST …/activities/{replyToId}; create: POST /v3/conversations; update: PUT. */
export type CallKind = 'send' | 'reply' | 'create' | 'update';

export type FaultStatus = 403 | 412 | 429 | 500 | 502 | 503 | 504;

export interface FaultCall {
  conversationId: string;
  /** 1-based: how many requests with this method, route and fingerprint arrived so far, this one included. */
  attempt: number;
  method: 'POST' | 'PUT';
  kind: CallKind;
  /** Identifies "the same activity" across retries (see ThrottledConnectorOptions.fingerprint). */
  fingerprint: string;
  /** The activity sent (for a create: its `activity`, if any). */
  activity?: ConnectorActivity;
}

export interface Fault {
  status: FaultStatus;
  /** Sent as `Retry-After` when given. */
  retryAfterSeconds?: number;
  /** The error code in the body; defaults by status (403: BotNotInConversationRoster, 429: Throttled, …). */
  code?: string;
  message?: string;
  /**
   * The connector created the message and then failed to answer (only sensible with 5xx): the sender
   * sees the error, the message is in accepted() and counts against the rate limits. Nothing is
   * created when the request is throttled anyway. Default false: rejected, nothing created.
   */
  delivered?: boolean;
}

export type FaultPlan = (call: FaultCall) => Fault | undefined;

export interface ThrottledConnectorOptions {
  /** Sliding windows per conversation; default TEAMS_CONVERSATION_LIMITS. */
  limits?: readonly RateLimit[];
  /** Accepted sends and creates per second across all conversations; default 50, Infinity for none. */
  globalPerSecond?: number;
  faults?: FaultPlan;
  /** Bodies larger than this get 413 MessageSizeTooBig; default 100 KB (102,400 bytes). */
  maxBodyBytes?: number;
  /**
   * What makes two requests "the same activity" for FaultCall.attempt (and so for randomFaults).
   * Default: a hash of the raw body. Give a business key (e.g. a notification id in channelData)
   * when bodies carry values that change between runs. For a create it gets the ConversationParameters.
   */
  fingerprint?: (body: ConnectorActivity, conversationId: string) => string;
  /** Milliseconds, never decreasing; default a monotonic clock. A fake clock makes windows exact. */
  now?: () => number;
}

export interface AcceptedMessage {
  conversationId: string;
  /** The id the connector gave the activity. */
  id: string;
  activity: ConnectorActivity;
  kind: 'send' | 'reply' | 'create';
  replyToId?: string;
  /** now() when accepted. */
  at: number;
  attempt: number;
  fingerprint: string;
  /** Set when the sender was answered with this error although the message was created (Fault.delivered). */
  answeredStatus?: number;
}

export interface CreatedConversation {
  conversationId: string;
  parameters: Record<string, unknown>;
  at: number;
}

export interface RejectedAttempt {
  /** Undefined when the route was unknown. */
  conversationId?: string;
  method: string;
  path: string;
  kind?: CallKind;
  status: number;
  code: string;
  retryAfterSeconds?: number;
  /** throttled: over a rate limit; fault: injected; contract: 400, 404, 413. */
  reason: 'throttled' | 'fault' | 'contract';
  /** A delivered fault: the message was created although this error was answered. */
  delivered: boolean;
  attempt?: number;
  activity?: ConnectorActivity;
  at: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  conversationId?: string;
  kind?: CallKind;
  status: number;
  at: number;
}

export interface Duplicate {
  conversationId: string;
  key: string;
  count: number;
  /** Connector ids of the copies, in order. */
  ids: string[];
}

const DEFAULT_CODES: Record<number, string> = {
  400: 'BadArgument',
  403: 'BotNotInConversationRoster',
  404: 'NotFound',
  412: 'PreconditionFailed',
  413: 'MessageSizeTooBig',
  429: 'Throttled',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** Timestamps of accepted events, ascending, trimmed to a horizon; counts in a window by binary search. */
class SlidingLog {
  private times: number[] = [];
  private head = 0;

  constructor(private readonly horizonMs: number) {}

  /** Milliseconds until one more event fits under `limit` per `windowMs`; 0 if it fits now. */
  waitMs(now: number, { limit, windowMs }: RateLimit): number {
    const start = this.firstAfter(now - windowMs);
    const count = this.times.length - start;
    if (count < limit) return 0;
    // count - limit + 1 events must leave the window; the last of them is at start + count - limit.
    return this.times[start + count - limit] + windowMs - now;
  }

  add(now: number): void {
    this.times.push(now);
    const cutoff = now - this.horizonMs;
    while (this.head < this.times.length && this.times[this.head] <= cutoff) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }

  /** Index of the first event later than t (events in (t, now] are in the window). */
  private firstAfter(t: number): number {
    let lo = this.head;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

class HttpError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
  ) {}
}

interface Route {
  kind: CallKind;
  method: 'POST' | 'PUT';
  conversationId?: string;
  /** replyToId (reply) or the activity replaced (update). */
  activityId?: string;
}

export class ThrottledConnector extends LoopbackConnector {
  private readonly limits: readonly RateLimit[];
  private readonly globalLimit?: RateLimit;
  private readonly maxBodyBytes: number;
  private readonly faults?: FaultPlan;
  private readonly fingerprintOf?: ThrottledConnectorOptions['fingerprint'];
  private readonly now: () => number;
  private readonly horizonMs: number;

  private httpServer?: http.Server;
  private nextId = 0;
  private nextConversation = 0;
  private windows = new Map<string, SlidingLog>();
  private globalWindow: SlidingLog;
  private attempts = new Map<string, number>();
  /** Every accepted send or create, per conversation and overall, for maxObservedRate. */
  private eventTimes = new Map<string, number[]>();
  private allEventTimes: number[] = [];
  private acceptedLog: AcceptedMessage[] = [];
  private acceptedBy = new Map<string, AcceptedMessage[]>();
  private rejectedLog: RejectedAttempt[] = [];
  private requestLog: RequestRecord[] = [];
  private createdLog: CreatedConversation[] = [];

  constructor(options: ThrottledConnectorOptions = {}) {
    super();
    this.limits = options.limits ?? TEAMS_CONVERSATION_LIMITS;
    for (const l of this.limits) {
      if (!(l.limit >= 1 && l.windowMs > 0)) throw new Error(`invalid rate limit ${JSON.stringify(l)}`);
    }
    const perSecond = options.globalPerSecond ?? 50;
    if (Number.isFinite(perSecond)) this.globalLimit = { limit: perSecond, windowMs: 1_000 };
    this.maxBodyBytes = options.maxBodyBytes ?? 100 * 1024;
    this.faults = options.faults;
    this.fingerprintOf = options.fingerprint;
    this.now = options.now ?? (() => performance.timeOrigin + performance.now());
    this.horizonMs = Math.max(0, ...this.limits.map((l) => l.windowMs));
    this.globalWindow = new SlidingLog(1_000);
  }

  override async start(): Promise<string> {
    const server = http.createServer((req, res) => this.receive(req, res));
    // Keep-alive longer than clients' idle timeouts (so no request races a closing socket), and a
    // deep accept queue for a thousand connections opened at once.
    server.keepAliveTimeout = 30_000;
    server.headersTimeout = 31_000;
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 });
    await once(server, 'listening');
    this.httpServer = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  override async stop(): Promise<void> {
    const server = this.httpServer;
    if (!server) return;
    this.httpServer = undefined;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }

  /** Messages created (sends, replies, and creates with an activity), optionally of one conversation, in order. */
  accepted(conversationId?: string): AcceptedMessage[] {
    return conversationId === undefined ? [...this.acceptedLog] : [...(this.acceptedBy.get(conversationId) ?? [])];
  }

  /** Requests answered with an error (throttled, injected faults, contract violations), in order. */
  rejected(conversationId?: string): RejectedAttempt[] {
    return conversationId === undefined
      ? [...this.rejectedLog]
      : this.rejectedLog.filter((r) => r.conversationId === conversationId);
  }

  /** Every request received with the status answered, in order: counts retries. */
  requests(conversationId?: string): RequestRecord[] {
    return conversationId === undefined
      ? [...this.requestLog]
      : this.requestLog.filter((r) => r.conversationId === conversationId);
  }

  /** Conversations created with POST /v3/conversations. */
  created(): CreatedConversation[] {
    return [...this.createdLog];
  }

  /**
   * The most rate-limited events (accepted sends and creates) in any window of `windowMs`, for one
   * conversation or (undefined) across all: assert it never exceeds a limit.
   */
  maxObservedRate(conversationId: string | undefined, windowMs: number): number {
    const times = conversationId === undefined ? this.allEventTimes : (this.eventTimes.get(conversationId) ?? []);
    let max = 0;
    for (let i = 0, j = 0; j < times.length; j++) {
      while (times[j] - times[i] >= windowMs) i++;
      max = Math.max(max, j - i + 1);
    }
    return max;
  }

  /** Keys accepted more than once in the same conversation (keyOf may return undefined to skip a message). */
  duplicates(keyOf: (activity: ConnectorActivity) => string | undefined): Duplicate[] {
    const groups = new Map<string, Duplicate>();
    for (const m of this.acceptedLog) {
      const key = keyOf(m.activity);
      if (key === undefined) continue;
      const slot = JSON.stringify([m.conversationId, key]);
      const group = groups.get(slot) ?? { conversationId: m.conversationId, key, count: 0, ids: [] };
      group.count++;
      group.ids.push(m.id);
      groups.set(slot, group);
    }
    return [...groups.values()].filter((g) => g.count > 1);
  }

  /** Forgets all records, windows and attempt counts (the server keeps running). */
  clear(): void {
    this.calls.length = 0;
    this.windows.clear();
    this.globalWindow = new SlidingLog(1_000);
    this.attempts.clear();
    this.eventTimes.clear();
    this.allEventTimes = [];
    this.acceptedLog = [];
    this.acceptedBy.clear();
    this.rejectedLog = [];
    this.requestLog = [];
    this.createdLog = [];
  }

  private receive(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit, keep draining (answering early would reset the sender's upload) but keep nothing.
      if (size <= this.maxBodyBytes) chunks.push(chunk);
    });
    req.on('end', () => this.respond(req, res, size > this.maxBodyBytes ? undefined : Buffer.concat(chunks)));
    req.on('error', () => res.destroy());
  }

  private respond(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer | undefined): void {
    const at = this.now();
    const method = req.method ?? '';
    const path = (req.url ?? '').split('?')[0];
    let route: Route | undefined;
    let body: Record<string, unknown> | undefined;
    try {
      route = this.route(method, path);
      if (raw === undefined) {
        throw new HttpError(413, 'MessageSizeTooBig', `Message size exceeds the limit of ${this.maxBodyBytes} bytes`);
      }
      body = this.parseBody(route, raw);
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      this.reject(res, { method, path, at, route, reason: 'contract', status: e.status, code: e.code }, e.message);
      return;
    }

    const conversationId = route.kind === 'create' ? this.conversationIdFor(body) : (route.conversationId as string);
    const activity = (route.kind === 'create' ? body.activity : body) as ConnectorActivity | undefined;
    const fingerprint = this.fingerprintOf
      ? this.fingerprintOf(body as ConnectorActivity, conversationId)
      : createHash('sha1').update(raw).digest('hex').slice(0, 16);
    const attemptKey = JSON.stringify([method, route.kind, conversationId, route.activityId ?? '', fingerprint]);
    const attempt = (this.attempts.get(attemptKey) ?? 0) + 1;
    this.attempts.set(attemptKey, attempt);
    const base = { method, path, at, route, conversationId, attempt, activity };

    const fault = this.faults?.({
      conversationId,
      attempt,
      method: route.method,
      kind: route.kind,
      fingerprint,
      activity,
    });
    if (fault && !fault.delivered) {
      this.reject(res, { ...base, reason: 'fault', ...this.faultAnswer(fault) }, fault.message);
      return;
    }

    if (route.kind === 'update') {
      this.calls.push({
        method: 'PUT',
        conversationId,
        activityId: route.activityId,
        id: route.activityId!,
        activity: activity!,
      });
      if (fault) {
        this.reject(res, { ...base, reason: 'fault', ...this.faultAnswer(fault) }, fault.message);
      } else {
        this.json(res, 200, { id: route.activityId }, { method, path, conversationId, kind: route.kind, at });
      }
      return;
    }

    const waitMs = this.throttleWaitMs(conversationId, at);
    if (waitMs > 0) {
      const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
      this.reject(
        res,
        { ...base, reason: 'throttled', status: 429, code: 'Throttled', retryAfterSeconds },
        `Too many requests for conversation ${conversationId}; retry after ${retryAfterSeconds} s`,
      );
      return;
    }
    this.count(conversationId, at);

    let id: string | undefined;
    if (activity) {
      id = `msg-${++this.nextId}`;
      const kind = route.kind as AcceptedMessage['kind'];
      const message: AcceptedMessage = { conversationId, id, activity, kind, at, attempt, fingerprint };
      if (route.kind === 'reply') message.replyToId = route.activityId;
      if (fault) message.answeredStatus = fault.status;
      this.acceptedLog.push(message);
      const list = this.acceptedBy.get(conversationId) ?? [];
      list.push(message);
      this.acceptedBy.set(conversationId, list);
      this.calls.push({ method: 'POST', conversationId, activityId: route.activityId, id, activity });
    }
    if (route.kind === 'create') this.createdLog.push({ conversationId, parameters: body, at });

    if (fault) {
      this.reject(res, { ...base, reason: 'fault', ...this.faultAnswer(fault) }, fault.message);
    } else if (route.kind === 'create') {
      this.json(
        res,
        201,
        { id: conversationId, ...(id ? { activityId: id } : {}) },
        { method, path, conversationId, kind: route.kind, at },
      );
    } else {
      this.json(res, 201, { id }, { method, path, conversationId, kind: route.kind, at });
    }
  }

  private route(method: string, path: string): Route {
    const match = /^\/v3\/conversations(?:\/([^/]+)\/activities(?:\/([^/]+))?)?\/?$/.exec(path);
    const notFound = new HttpError(404, 'NotFound', `No route for ${method} ${path}`);
    if (!match) throw notFound;
    let conversationId: string | undefined;
    let activityId: string | undefined;
    try {
      conversationId = match[1] === undefined ? undefined : decodeURIComponent(match[1]);
      activityId = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
    } catch {
      throw new HttpError(400, 'BadArgument', 'Malformed percent-encoding in the path');
    }
    if (method === 'POST' && conversationId === undefined) return { kind: 'create', method };
    if (method === 'POST' && conversationId && !activityId) return { kind: 'send', method, conversationId };
    if (method === 'POST' && conversationId && activityId) return { kind: 'reply', method, conversationId, activityId };
    if (method === 'PUT' && conversationId && activityId) return { kind: 'update', method, conversationId, activityId };
    throw notFound;
  }

  private parseBody(route: Route, raw: Buffer): Record<string, unknown> {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new HttpError(400, 'BadSyntax', 'The body is not JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new HttpError(400, 'BadArgument', 'The body must be a JSON object');
    }
    const activity = route.kind === 'create' ? (body as { activity?: unknown }).activity : body;
    if (activity !== undefined && !hasType(activity)) {
      throw new HttpError(400, 'BadArgument', 'The activity must have a type');
    }
    return body as Record<string, unknown>;
  }

  /** A 1:1 create returns the same conversation each time, as Teams does; anything else a new one. */
  private conversationIdFor(parameters: Record<string, unknown>): string {
    const members = parameters.members as { id?: string }[] | undefined;
    if (!parameters.isGroup && members?.length === 1 && members[0].id) return `a:1on1-${members[0].id}`;
    return `19:created-${++this.nextConversation}@thread.v2`;
  }

  private throttleWaitMs(conversationId: string, at: number): number {
    let wait = this.globalLimit ? this.globalWindow.waitMs(at, this.globalLimit) : 0;
    const window = this.windows.get(conversationId);
    if (window) for (const limit of this.limits) wait = Math.max(wait, window.waitMs(at, limit));
    return wait;
  }

  private count(conversationId: string, at: number): void {
    let window = this.windows.get(conversationId);
    if (!window) this.windows.set(conversationId, (window = new SlidingLog(this.horizonMs)));
    window.add(at);
    if (this.globalLimit) this.globalWindow.add(at);
    const times = this.eventTimes.get(conversationId) ?? [];
    times.push(at);
    this.eventTimes.set(conversationId, times);
    this.allEventTimes.push(at);
  }

  private faultAnswer(fault: Fault): { status: number; code: string; retryAfterSeconds?: number; delivered: boolean } {
    return {
      status: fault.status,
      code: fault.code ?? DEFAULT_CODES[fault.status],
      retryAfterSeconds: fault.retryAfterSeconds,
      delivered: fault.delivered === true,
    };
  }

  private reject(
    res: http.ServerResponse,
    r: {
      method: string;
      path: string;
      at: number;
      route?: Route;
      conversationId?: string;
      attempt?: number;
      activity?: ConnectorActivity;
      reason: RejectedAttempt['reason'];
      status: number;
      code: string;
      retryAfterSeconds?: number;
      delivered?: boolean;
    },
    message?: string,
  ): void {
    const conversationId = r.conversationId ?? r.route?.conversationId;
    this.rejectedLog.push({
      conversationId,
      method: r.method,
      path: r.path,
      kind: r.route?.kind,
      status: r.status,
      code: r.code,
      retryAfterSeconds: r.retryAfterSeconds,
      reason: r.reason,
      delivered: r.delivered === true,
      attempt: r.attempt,
      activity: r.activity,
      at: r.at,
    });
    const headers: Record<string, string> = {};
    if (r.retryAfterSeconds !== undefined) headers['Retry-After'] = String(r.retryAfterSeconds);
    const body = { error: { code: r.code, message: message ?? `${r.code} (${r.status})` } };
    this.json(
      res,
      r.status,
      body,
      { method: r.method, path: r.path, conversationId, kind: r.route?.kind, at: r.at },
      headers,
    );
  }

  private json(
    res: http.ServerResponse,
    status: number,
    body: unknown,
    record: Omit<RequestRecord, 'status'>,
    headers: Record<string, string> = {},
  ): void {
    this.requestLog.push({ ...record, status });
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  }
}

function hasType(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string' &&
    (value as { type: string }).type !== ''
  );
}

export interface RandomFaultOptions {
  seed: number | string;
  /** Probability per request of an injected 429 (with Retry-After: retryAfterSeconds). */
  rate429?: number;
  /** Probability per request of a 5xx, its status drawn from statuses5xx. */
  rate5xx?: number;
  /** Probability per request of a 412 PreconditionFailed. */
  rate412?: number;
  /** Conversations the bot was removed from: every request gets 403 BotNotInConversationRoster. */
  blocked?: Iterable<string>;
  /** Conversations where the user blocked the bot: every request gets 403 MessageWritesBlocked. */
  writesBlocked?: Iterable<string>;
  /** Retry-After of an injected 429; default 1. */
  retryAfterSeconds?: number;
  /** Default [500, 502, 504]. */
  statuses5xx?: readonly (500 | 502 | 503 | 504)[];
  /** Probability that a 5xx came after the message was created (Fault.delivered); default 0. */
  delivered5xx?: number;
  /** Methods the random faults apply to (blocking applies to all); default ['POST']. */
  methods?: readonly ('POST' | 'PUT')[];
}

/**
 * A seeded fault plan. Each decision is a hash of (seed, conversation, method, kind, fingerprint,
 * attempt), not a draw from a shared stream, so it does not depend on the order in which concurrent
 * requests arrive: the same seed and the same requests give the same faults.
 */
export function randomFaults(options: RandomFaultOptions): FaultPlan {
  const rate429 = options.rate429 ?? 0;
  const rate5xx = options.rate5xx ?? 0;
  const rate412 = options.rate412 ?? 0;
  const blocked = new Set(options.blocked ?? []);
  const writesBlocked = new Set(options.writesBlocked ?? []);
  const statuses = options.statuses5xx ?? [500, 502, 504];
  const delivered5xx = options.delivered5xx ?? 0;
  const methods = new Set(options.methods ?? ['POST']);
  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  return (call) => {
    if (blocked.has(call.conversationId)) return { status: 403, code: 'BotNotInConversationRoster' };
    if (writesBlocked.has(call.conversationId)) return { status: 403, code: 'MessageWritesBlocked' };
    if (!methods.has(call.method)) return undefined;
    const [which, status, delivered] = uniforms(
      JSON.stringify([
        String(options.seed),
        call.conversationId,
        call.method,
        call.kind,
        call.fingerprint,
        call.attempt,
      ]),
    );
    if (which < rate429) return { status: 429, retryAfterSeconds };
    if (which < rate429 + rate5xx) {
      return { status: statuses[Math.floor(status * statuses.length)], delivered: delivered < delivered5xx };
    }
    if (which < rate429 + rate5xx + rate412) return { status: 412 };
    return undefined;
  };
}

/** Independent uniform numbers in [0, 1) derived from a key. */
function uniforms(key: string): number[] {
  const digest = createHash('sha256').update(key).digest();
  return [0, 4, 8, 12].map((offset) => digest.readUInt32BE(offset) / 2 ** 32);
}
