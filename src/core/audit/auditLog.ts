/**
 * The audit trail: an append-only record of requests, votes, executions, denials and role changes.
 *
 * Several replicas share one Storage, so every entry is its own create-only key and nothing is ever
 * rewritten. Keys are `audit-YYYYMMDD/<id>` (UTC day); ids start with zero-padded epoch ms, so key
 * order is time order. `list` is not recursive, so each day also gets a create-only marker under
 * `audit-days/` that lets `recent` and `export` find the partitions without scanning the calendar.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock';
import { redactDeep } from '../../domain/secrets';
import { IF_NONE_MATCH, isEtagConflict, type Storage } from '../../storage/storage';

export type AuditAction =
  | 'request'
  | 'approve'
  | 'reject'
  | 'cancel'
  | 'expire'
  | 'execute'
  | 'result'
  | 'deny'
  | 'grant'
  | 'revoke'
  | 'direct'
  | 'subscribe'
  | 'unsubscribe';

export interface AuditEntry {
  id: string;
  at: string;
  action: AuditAction;
  actor: { id: string; name?: string };
  runtime?: string;
  kind?: string;
  approvalId?: string;
  operationId?: string;
  conversation?: { id: string; type?: string };
  details?: Record<string, unknown>;
}

/** The actor of entries nobody asked for, such as expiries. */
export const SYSTEM_ACTOR = { id: 'system', name: 'system' } as const;

const DAY_MS = 86_400_000;
const DAYS_PREFIX = 'audit-days/';
const BATCH = 100;
// redactDeep stops looking below depth 8, so anything nested deeper is dropped rather than stored.
const MAX_DEPTH = 6;

export class AuditLog {
  private readonly random: () => string;
  private readonly marked = new Map<string, Promise<void>>();
  private lastMs = -1;
  private seq = 0;

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    /** Source of the random part of ids; tests rig it to force a duplicate. */
    options: { random?: () => string } = {},
  ) {
    this.random = options.random ?? (() => randomBytes(5).toString('hex'));
  }

  /** Stores a new entry under a fresh key; never overwrites one (a colliding id is retried). */
  async append(entry: Omit<AuditEntry, 'id' | 'at'>): Promise<AuditEntry> {
    // A caller's stray id or at must not replace ours.
    const { id: _id, at: _at, ...rest } = entry as Partial<AuditEntry>;
    const body = redactDeep(clip(rest, 0)) as Omit<AuditEntry, 'id' | 'at'>;
    for (let attempt = 1; ; attempt++) {
      const ms = this.clock.now();
      const day = dayOf(ms);
      const stored: AuditEntry = { id: this.nextId(ms), at: new Date(ms).toISOString(), ...body };
      await this.markDay(day);
      try {
        await this.storage.write({ [`audit-${day}/${stored.id}`]: { ...stored, eTag: IF_NONE_MATCH } });
        return stored;
      } catch (error) {
        if (!isEtagConflict(error) || attempt >= 3) throw error;
      }
    }
  }

  /** Newest first, from the last `days` UTC days (today included). */
  async recent(options: { runtime?: string; limit?: number; days?: number } = {}): Promise<AuditEntry[]> {
    const { limit = 20, days = 30 } = options;
    const runtime = options.runtime?.toLowerCase();
    const oldest = dayOf(this.clock.now() - (days - 1) * DAY_MS);
    const out: AuditEntry[] = [];
    for (const day of (await this.days()).filter((d) => d >= oldest).reverse()) {
      const keys = (await this.storage.list(`audit-${day}/`)).sort().reverse();
      // Unfiltered, read only what the limit still needs; filtered, read in batches.
      for (let i = 0; i < keys.length && out.length < limit;) {
        const size = runtime ? BATCH : limit - out.length;
        const entries = await this.read(keys.slice(i, i + size));
        i += size;
        out.push(...entries.filter((e) => !runtime || e.runtime?.toLowerCase() === runtime));
      }
      if (out.length >= limit) break;
    }
    return out.slice(0, Math.max(0, limit));
  }

  /**
   * One JSON line (no trailing newline) per entry, oldest first, reading one day at a time.
   * `since` is inclusive; `until` is exclusive, except that a bare date includes that whole day.
   */
  async *export(options: { since?: string; until?: string } = {}): AsyncGenerator<string> {
    const from = options.since === undefined ? -Infinity : parseAuditBound(options.since, 'since');
    const to = options.until === undefined ? Infinity : parseAuditBound(options.until, 'until');
    const first = Number.isFinite(from) ? dayOf(from) : '';
    const last = Number.isFinite(to) ? dayOf(to - 1) : '99999999';
    for (const day of (await this.days()).filter((d) => d >= first && d <= last)) {
      const keys = (await this.storage.list(`audit-${day}/`)).sort();
      for (let i = 0; i < keys.length; i += BATCH) {
        for (const entry of await this.read(keys.slice(i, i + BATCH))) {
          const at = Date.parse(entry.at);
          if (at >= from && at < to) yield JSON.stringify(entry);
        }
      }
    }
  }

  private nextId(ms: number): string {
    // The sequence keeps one replica's entries of one millisecond in order; the random part keeps
    // replicas apart.
    this.seq = ms === this.lastMs ? this.seq + 1 : 0;
    this.lastMs = ms;
    return `${String(ms).padStart(15, '0')}-${this.seq.toString(36).padStart(4, '0')}${this.random()}`;
  }

  private markDay(day: string): Promise<void> {
    let pending = this.marked.get(day);
    if (!pending) {
      pending = this.storage.write({ [DAYS_PREFIX + day]: { day, eTag: IF_NONE_MATCH } }).catch((error) => {
        if (isEtagConflict(error)) return; // another replica marked it first
        this.marked.delete(day);
        throw error;
      });
      this.marked.set(day, pending);
    }
    return pending;
  }

  private async days(): Promise<string[]> {
    return (await this.storage.list(DAYS_PREFIX)).map((k) => k.slice(DAYS_PREFIX.length)).sort();
  }

  private async read(keys: string[]): Promise<AuditEntry[]> {
    const found = await this.storage.read(keys);
    return keys
      .filter((k) => found[k])
      .map((k) => {
        const { eTag: _eTag, ...entry } = found[k];
        return entry as unknown as AuditEntry;
      });
  }
}

/** Parses a `YYYY-MM-DD` date or a full ISO time with a zone; a bare `until` date means its end. */
export function parseAuditBound(value: string, which: 'since' | 'until'): number {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value);
  const ms = Date.parse(value);
  // Date.parse rolls 2026-02-30 over to March; a round trip of the date part catches it.
  const day = value.slice(0, 10);
  const realDay = !Number.isNaN(Date.parse(day)) && new Date(Date.parse(day)).toISOString().startsWith(day);
  if (!(dateOnly || zoned) || Number.isNaN(ms) || !realDay) {
    throw new RangeError(
      `--${which} must be a date like 2026-11-01 or a time like 2026-11-01T09:30:00Z (got "${value}")`,
    );
  }
  return dateOnly && which === 'until' ? ms + DAY_MS : ms;
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
}

function clip(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => clip(v, depth + 1));
  if (value && typeof value === 'object' && !(value instanceof Date) && !(value instanceof Error)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clip(v, depth + 1)]));
  }
  return value;
}
