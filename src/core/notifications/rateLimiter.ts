/**
 * Durable sliding-window rate limits, shared by every replica through eTag-checked records. A slot
 * is reserved before a send and counts even if the send fails, which errs on the safe side. Windows
 * are stretched by a margin so that network jitter cannot push a burst over Teams' own count.
 */
import type { Clock } from '../../clock';
import { Collection, UNCHANGED } from '../../storage/collection';
import type { Storage } from '../../storage/storage';

export interface Window {
  limit: number;
  ms: number;
}

/** Teams' per-conversation limits for a bot's sends (teams-and-botframework.md). */
export const TEAMS_CONVERSATION_WINDOWS: Window[] = [
  { limit: 7, ms: 1000 },
  { limit: 8, ms: 2000 },
  { limit: 60, ms: 30_000 },
];

interface Log {
  /** Reservation times (epoch ms), oldest first, trimmed to the longest window. */
  at: number[];
}

export class RateLimiter {
  private readonly logs: Collection<Log>;

  constructor(
    storage: Storage,
    private readonly clock: Clock,
    private readonly margin = 1.1,
  ) {
    this.logs = new Collection(storage, 'rate-limits');
  }

  /**
   * Reserves a slot under every window of `key` now, or says how long to wait. Waiting is never
   * stored: a caller that gives up leaves nothing behind.
   */
  async reserve(key: string, windows: Window[]): Promise<{ ok: true } | { ok: false; waitMs: number }> {
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

  private waitFor(at: number[], windows: Window[], now: number): number {
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
