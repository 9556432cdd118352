/**
 * Entra tokens for the Azure ML calls, fetched once at start-up and then refreshed in the
 * background ahead of expiry (5 minutes before, or at the credential's refreshAfterTimestamp), so a
 * request never waits on Entra: a cold managed-identity fetch can take far longer than a Teams
 * turn (reliability-perf.md §4). Tokens never reach logs or errors; only their expiry does.
 */
import type { TokenCredential } from '@azure/identity';
import type { Clock } from '../../../clock';
import { redactSecrets } from '../../../domain/secrets';
import { AppError, ErrorCode } from '../../../errors';
import type { Logger } from '../../../logger';
import { PollLoop } from '../../../infra/pollLoop';

export interface TokenCacheOptions {
  clock: Clock;
  log: Logger;
  /** Refresh this long before expiry; default 5 minutes. */
  refreshAheadMs?: number;
  /** How often the background refresher looks for due tokens; default 30 s. */
  checkMs?: number;
  /** After a failed background refresh, try again this much later; default 30 s. */
  retryMs?: number;
}

interface Entry {
  token: string;
  expiresOn: number;
  refreshAt: number;
}

export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<string>>();
  /** The last fetch error per scope, secret-free, for /readyz. */
  private readonly failures = new Map<string, string>();
  private refresher?: PollLoop;
  private readonly refreshAheadMs: number;
  private readonly retryMs: number;

  constructor(
    private readonly credential: TokenCredential,
    private readonly scopes: string[],
    private readonly options: TokenCacheOptions,
  ) {
    this.refreshAheadMs = options.refreshAheadMs ?? 5 * 60_000;
    this.retryMs = options.retryMs ?? 30_000;
  }

  /** Fetches every scope's first token (the only wait on Entra) and starts the background refresher. */
  async start(): Promise<void> {
    if (!this.refresher) {
      const busyMs = this.options.checkMs ?? 30_000;
      this.refresher = new PollLoop(() => this.refreshDue(), { busyMs, log: this.options.log, name: 'token refresh' });
      this.refresher.start();
    }
    await Promise.all(this.scopes.map((scope) => this.fetch(scope)));
  }

  /** Stops the refresher; resolves when a refresh under way has ended. */
  async stop(): Promise<void> {
    const refresher = this.refresher;
    this.refresher = undefined;
    await refresher?.stop();
  }

  /**
   * A valid token for `scope`: the cached one while it is valid (a refresh that is due runs in the
   * background); a fetch only when there is none yet or it has expired (start-up failed, or the
   * refresher could not get a new one in time).
   */
  async get(scope: string): Promise<string> {
    const entry = this.entries.get(scope);
    const now = this.options.clock.now();
    if (entry && now < entry.expiresOn - 10_000) {
      if (now >= entry.refreshAt) void this.fetch(scope).catch(() => undefined);
      return entry.token;
    }
    return this.fetch(scope);
  }

  /** Refreshes every token whose refresh time has come; the timer calls it, tests too. */
  async refreshDue(): Promise<void> {
    const now = this.options.clock.now();
    await Promise.all(
      this.scopes
        .filter((scope) => {
          const entry = this.entries.get(scope);
          return !entry || now >= entry.refreshAt;
        })
        .map((scope) => this.fetch(scope).catch(() => undefined)),
    );
  }

  /** For /readyz: whether each scope has a usable token, and the last refresh error. */
  status(): { ok: boolean; detail: string } {
    const now = this.options.clock.now();
    const parts = this.scopes.map((scope) => {
      const entry = this.entries.get(scope);
      const name = scopeName(scope);
      if (!entry || now >= entry.expiresOn) return { ok: false, text: `no ${name} token (${this.lastError(scope)})` };
      const minutes = Math.floor((entry.expiresOn - now) / 60_000);
      return { ok: true, text: `${name} token valid for ${minutes} min` };
    });
    return { ok: parts.every((p) => p.ok), detail: parts.map((p) => p.text).join(', ') };
  }

  private lastError(scope: string): string {
    return this.failures.get(scope) ?? 'not fetched yet';
  }

  /** One fetch per scope at a time; concurrent callers share it. */
  private fetch(scope: string): Promise<string> {
    const running = this.pending.get(scope);
    if (running) return running;
    const promise = this.fetchOnce(scope).finally(() => this.pending.delete(scope));
    this.pending.set(scope, promise);
    return promise;
  }

  private async fetchOnce(scope: string): Promise<string> {
    try {
      const token = await this.credential.getToken(scope);
      if (!token?.token) throw new Error('the credential returned no token');
      const now = this.options.clock.now();
      let refreshAt = Math.min(token.refreshAfterTimestamp ?? Infinity, token.expiresOnTimestamp - this.refreshAheadMs);
      // A token that lives less than the lead time is refreshed half-way through its life.
      if (refreshAt <= now) refreshAt = now + (token.expiresOnTimestamp - now) / 2;
      this.entries.set(scope, { token: token.token, expiresOn: token.expiresOnTimestamp, refreshAt });
      this.failures.delete(scope);
      this.options.log.debug('token refreshed', {
        scope: scopeName(scope),
        expiresOn: new Date(token.expiresOnTimestamp).toISOString(),
      });
      return token.token;
    } catch (error) {
      const message = describe(error);
      this.failures.set(scope, message);
      const entry = this.entries.get(scope);
      if (entry) entry.refreshAt = this.options.clock.now() + this.retryMs;
      this.options.log.warn('token fetch failed', { scope: scopeName(scope), error: message });
      throw new AppError(
        ErrorCode.Unavailable,
        `The bot could not get an Entra token for Azure ML (${scopeName(scope)}): ${message}. Check its identity (AZURE_CLIENT_ID, AZURE_TENANT_ID and secret, or the managed identity).`,
        { retryable: true },
      );
    }
  }
}

/** A short, secret-free name for a scope in logs: "management.azure.com". */
function scopeName(scope: string): string {
  return scope.replace(/^https?:\/\//, '').replace(/\/\.default$/, '');
}

/** The credential's error message, first line only, without anything that looks like a token. */
function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return redactSecrets(text.split('\n')[0] ?? '')
    .replace(/eyJ[A-Za-z0-9._-]+/g, '***')
    .replace(/(secret|assertion|token)(\s*[=:]\s*)\S+/gi, '$1$2***')
    .slice(0, 300);
}
