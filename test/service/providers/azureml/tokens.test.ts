/**
 * The token cache: one fetch per scope at start-up, then refreshes ahead of expiry in the
 * background so that callers never wait on Entra, and failures that keep the old token, name no
 * secret, and are retried.
 */
import type { AccessToken, TokenCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/clock';
import { createLogger } from '../../../../src/logger';
import { TokenCache } from '../../../../src/service/providers/azureml/tokens';

const ARM = 'https://management.azure.com/.default';
const AML = 'https://ml.azure.com/.default';
const MINUTE = 60_000;

class FakeCredential implements TokenCredential {
  calls: string[] = [];
  fail?: Error;
  lifetimeMs = 60 * MINUTE;
  refreshAfterMs?: number;
  /** Resolves the next fetch by hand when set. */
  gate?: Promise<void>;
  private n = 0;

  constructor(private readonly clock: FakeClock) {}

  async getToken(scope: string | string[]): Promise<AccessToken | null> {
    const s = Array.isArray(scope) ? scope[0] : scope;
    this.calls.push(s);
    if (this.gate) await this.gate;
    if (this.fail) throw this.fail;
    const now = this.clock.now();
    return {
      token: `${s.includes('ml.azure') ? 'aml' : 'arm'}-${++this.n}`,
      expiresOnTimestamp: now + this.lifetimeMs,
      ...(this.refreshAfterMs ? { refreshAfterTimestamp: now + this.refreshAfterMs } : {}),
    };
  }
}

function setup(options: { retryMs?: number } = {}) {
  const clock = new FakeClock();
  const credential = new FakeCredential(clock);
  const logs: string[] = [];
  const cache = new TokenCache(credential, [ARM, AML], {
    clock,
    log: createLogger('debug', {}, (l) => logs.push(l)),
    checkMs: 3_600_000,
    ...options,
  });
  return { clock, credential, cache, logs };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('azureml token cache', () => {
  it('should fetch each scope once at start and then serve from the cache', async () => {
    const { credential, cache } = setup();
    await cache.start();
    expect(credential.calls.sort()).toEqual([ARM, AML].sort());
    expect(await cache.get(ARM)).toBe(credential.calls[0] === ARM ? 'arm-1' : 'arm-2');
    await cache.get(AML);
    await cache.get(ARM);
    expect(credential.calls).toHaveLength(2);
    expect(cache.status()).toEqual({
      ok: true,
      detail: 'management.azure.com token valid for 60 min, ml.azure.com token valid for 60 min',
    });
    cache.stop();
  });

  it('should refresh five minutes before expiry in the background, without making the caller wait', async () => {
    const { clock, credential, cache } = setup();
    await cache.start();
    const first = await cache.get(ARM);
    clock.advance(54 * MINUTE);
    await cache.refreshDue();
    expect(credential.calls).toHaveLength(2); // not due yet
    clock.advance(1 * MINUTE);
    let release!: () => void;
    credential.gate = new Promise((r) => (release = r));
    // Due: the caller still gets the cached token at once while the refresh runs.
    expect(await cache.get(ARM)).toBe(first);
    expect(credential.calls.filter((c) => c === ARM)).toHaveLength(2);
    release();
    credential.gate = undefined;
    await settle();
    expect(await cache.get(ARM)).not.toBe(first);
    cache.stop();
  });

  it('should refresh due tokens from the background refresher', async () => {
    const { clock, credential, cache } = setup();
    await cache.start();
    clock.advance(56 * MINUTE);
    await cache.refreshDue();
    expect(credential.calls).toHaveLength(4);
    expect(await cache.get(AML)).toMatch(/^aml-/);
    expect(credential.calls).toHaveLength(4);
    cache.stop();
  });

  it("should honour the credential's refreshAfterTimestamp when it comes earlier", async () => {
    const { clock, credential, cache } = setup();
    credential.refreshAfterMs = 30 * MINUTE;
    await cache.start();
    clock.advance(30 * MINUTE);
    await cache.refreshDue();
    expect(credential.calls).toHaveLength(4);
    cache.stop();
  });

  it('should refresh a token that lives less than the lead time half-way through its life', async () => {
    const { clock, credential, cache } = setup();
    credential.lifetimeMs = 4 * MINUTE;
    await cache.start();
    clock.advance(MINUTE);
    await cache.refreshDue();
    expect(credential.calls).toHaveLength(2);
    clock.advance(MINUTE);
    await cache.refreshDue();
    expect(credential.calls).toHaveLength(4);
    cache.stop();
  });

  it('should keep the old token when a refresh fails, say why without secrets, and try again later', async () => {
    const { clock, credential, cache, logs } = setup({ retryMs: 30_000 });
    await cache.start();
    const old = await cache.get(ARM);
    clock.advance(56 * MINUTE);
    credential.fail = new Error('AADSTS7000215: Invalid client secret provided. client_secret=hunter2\nTrace ID: x');
    await cache.refreshDue();
    expect(await cache.get(ARM)).toBe(old);
    expect(cache.status().detail).toMatch(/management.azure.com token valid for 4 min/);
    const calls = credential.calls.length;
    await cache.refreshDue(); // the retry is not due yet
    expect(credential.calls).toHaveLength(calls);
    clock.advance(30_000);
    await cache.refreshDue();
    expect(credential.calls).toHaveLength(calls + 2);
    clock.advance(5 * MINUTE); // expired now: the caller waits, and sees why it failed
    await expect(cache.get(ARM)).rejects.toThrow(/AADSTS7000215: Invalid client secret provided. client_secret=\*\*\*/);
    credential.fail = undefined;
    expect(await cache.get(ARM)).not.toBe(old);
    expect(logs.join('\n')).toMatch(/AADSTS7000215/);
    expect(logs.join('\n')).not.toContain('hunter2');
    cache.stop();
  });

  it('should fetch on the request path only when there is no valid token, once for concurrent callers', async () => {
    const { clock, credential, cache } = setup();
    credential.fail = new Error('no identity configured');
    await expect(cache.start()).rejects.toThrow(/could not get an Entra token for Azure ML \(management.azure.com\)/);
    expect(cache.status()).toMatchObject({ ok: false, detail: expect.stringMatching(/no identity configured/) });
    credential.fail = undefined;
    const [a, b] = await Promise.all([cache.get(ARM), cache.get(ARM)]);
    expect(a).toBe(b);
    clock.advance(61 * MINUTE); // expired: wait for a new one
    expect(await cache.get(ARM)).not.toBe(a);
    cache.stop();
  });
});
