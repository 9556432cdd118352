/**
 * Durable sliding-window rate limits, shared by every replica through storage. A slot is taken
 * before a send and counts even if the send fails, which errs on the safe side. Windows are
 * stretched by a margin (10 % by default) so that network jitter cannot push a burst over the
 * channel's own count.
 *
 * Two shapes, by how many writers share a window:
 * - `reserve`: a conversation's windows live in one eTag-checked record. Only sends to that one
 *   conversation touch it, so contention stays low; the read-modify-write retries with backoff.
 * - `claim`: a window that every send of every replica shares (the global cap) has no record at
 *   all. Each send creates its own claim, `rate-claims/<name>~<ms>-<random>` (create-only, so
 *   claims never conflict), then lists the name's claims and counts those within one window of
 *   its own time, before or after. It is admitted when that count is within the limit; otherwise
 *   it deletes its claim and waits. This never admits too many: of any set of admitted claims
 *   within one window, the one written last saw all the others when it counted. Two claims that
 *   race for the last slot may both step back, which only delays them.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock';
import { Collection, UNCHANGED } from '../../storage/collection';
import { IF_NONE_MATCH, type Storage } from '../../storage/storage';

export interface Window {
  limit: number;
  ms: number;
}

/** `at`: for a claim, the time its slot counts from. */
export type Reservation = { ok: true; at?: number } | { ok: false; waitMs: number };

interface Log {
  /** Reservation times (epoch ms), oldest first, trimmed to the longest window. */
  at: number[];
}

const CLAIMS = 'rate-claims/';
/** Claims older than this many windows are nobody's concern; whoever counts deletes them. */
const STALE_WINDOWS = 2;

export class RateLimiter {
  private readonly logs: Collection<Log>;

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly margin = 1.1,
  ) {
    this.logs = new Collection(storage, 'rate-limits');
  }

  /**
   * Reserves a slot under every window of `key` now, or says how long to wait. Waiting is never
   * stored: a caller that gives up leaves nothing behind.
   */
  async reserve(key: string, windows: readonly Window[]): Promise<Reservation> {
    const longest = Math.max(...windows.map((w) => w.ms * this.margin));
    let waitMs = 0;
    await this.logs.update(key, (current) => {
      const now = this.clock.now();
      const at = (current?.at ?? []).filter((t) => t > now - longest && t <= now + 60_000);
      waitMs = this.waitFor(at, windows, now);
      if (waitMs > 0) return UNCHANGED;
      return { at: [...at, now] };
    });
    return waitMs > 0 ? { ok: false, waitMs } : { ok: true };
  }

  /** Takes a slot in the window `name` that every replica shares, without a shared record. */
  async claim(name: string, window: Window): Promise<Reservation> {
    if (!/^[a-z0-9.-]{1,60}$/.test(name)) throw new Error(`invalid rate window name ${JSON.stringify(name)}`);
    const span = window.ms * this.margin;
    const now = this.clock.now();
    const prefix = `${CLAIMS}${name}~`;
    const mine = `${prefix}${String(now).padStart(13, '0')}-${randomBytes(6).toString('hex')}`;
    await this.storage.write({ [mine]: { eTag: IF_NONE_MATCH } });
    const claims = (await this.storage.list(prefix)).map((key) => ({
      key,
      at: Number(key.slice(prefix.length, prefix.length + 13)),
    }));
    const stale = claims.filter((c) => c.at < now - STALE_WINDOWS * span).map((c) => c.key);
    if (stale.length) await this.storage.delete(stale);
    const near = claims.filter((c) => Math.abs(c.at - now) < span);
    if (near.length <= window.limit) return { ok: true, at: now };
    await this.storage.delete([mine]);
    // A full window: wait until its oldest claim leaves it. Either way, spread the claimers that
    // collided over a time that grows with their number, so that they do not collide again.
    const others = near.filter((c) => c.key !== mine);
    const full = others.length >= window.limit ? Math.min(...others.map((c) => c.at)) + span - now : 0;
    return { ok: false, waitMs: Math.max(1, Math.ceil(full + Math.random() * near.length * 10)) };
  }

  private waitFor(at: number[], windows: readonly Window[], now: number): number {
    let wait = 0;
    for (const w of windows) {
      const span = w.ms * this.margin;
      const inWindow = at.filter((t) => t > now - span);
      // The oldest send that must leave the window before another one fits.
      if (inWindow.length >= w.limit) wait = Math.max(wait, inWindow[inWindow.length - w.limit] + span - now + 1);
    }
    return Math.ceil(wait);
  }
}
