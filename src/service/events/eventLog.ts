/**
 * Durable, ordered event log behind the SSE stream. Ids come from one eTag-guarded counter, so
 * events from several replicas get one total order and a client can resume with Last-Event-ID on
 * any replica. Old events are pruned; a client that resumes from a pruned id gets everything kept.
 */
import { EventEmitter } from 'node:events';
import { type Clock, iso } from '../../clock';
import type { ServiceEvent, ServiceEventType } from '../../domain/runtime';
import { Collection, UNCHANGED } from '../../storage/collection';
import type { Storage } from '../../storage/storage';

interface Counter {
  next: number;
  /** Oldest id still kept. */
  floor: number;
}

const ID_WIDTH = 12;
const GAP_GRACE_MS = 5000;
const toId = (n: number) => String(n).padStart(ID_WIDTH, '0');

export class EventLog {
  private readonly events: Collection<Omit<ServiceEvent, 'id'>>;
  private readonly meta: Collection<Counter>;
  private readonly local = new EventEmitter();

  constructor(
    storage: Storage,
    private readonly clock: Clock,
    private readonly retain = 2000,
  ) {
    this.events = new Collection(storage, 'events');
    this.meta = new Collection(storage, 'events-meta');
    this.local.setMaxListeners(0);
  }

  async append(type: ServiceEventType, data: Record<string, unknown>): Promise<ServiceEvent> {
    let seq = 0;
    await this.meta.update('counter', (c) => {
      const current = c ?? { next: 1, floor: 1 };
      seq = current.next;
      return { ...current, next: current.next + 1 };
    });
    const event: ServiceEvent = { id: toId(seq), type, time: iso(this.clock.now()), data };
    await this.events.put(event.id, { type, time: event.time, data });
    this.local.emit('event', event);
    if (seq % 100 === 0) void this.prune(seq).catch(() => undefined);
    return event;
  }

  /**
   * Events with an id greater than `afterId`, oldest first, at most `limit`. An id whose event is
   * not written yet stops the read, so a reader never skips an event that is still being appended;
   * a gap left by a writer that crashed is skipped once it is older than GAP_GRACE_MS.
   */
  async after(afterId: string | undefined, limit = 500): Promise<ServiceEvent[]> {
    const after = afterId && /^\d+$/.test(afterId) ? Number(afterId) : 0;
    const counter = await this.meta.get('counter');
    if (!counter) return [];
    const from = Math.max(after + 1, counter.floor);
    const ids: string[] = [];
    for (let n = from; n < counter.next && ids.length < limit; n++) ids.push(toId(n));
    const found = new Map((await this.events.getManyWithIds(ids)).map(([id, e]) => [id, e]));
    const out: ServiceEvent[] = [];
    for (const [i, id] of ids.entries()) {
      const event = found.get(id);
      if (event) {
        out.push({ id, type: event.type, time: event.time, data: event.data });
        continue;
      }
      const later = ids
        .slice(i + 1)
        .map((x) => found.get(x))
        .find(Boolean);
      const stale = later && this.clock.now() - Date.parse(later.time) > GAP_GRACE_MS;
      if (!stale) break;
    }
    return out;
  }

  /** The id of the newest event, for clients that only want what comes next. */
  async lastId(): Promise<string> {
    const counter = await this.meta.get('counter');
    return toId((counter?.next ?? 1) - 1);
  }

  /** Notifies about events appended by this process; other replicas' events are found by polling. */
  onLocal(listener: (event: ServiceEvent) => void): () => void {
    this.local.on('event', listener);
    return () => this.local.off('event', listener);
  }

  private async prune(newest: number): Promise<void> {
    const floor = newest - this.retain;
    if (floor <= 1) return;
    let oldFloor = 1;
    await this.meta.update('counter', (c) => {
      if (!c || c.floor >= floor) return UNCHANGED;
      oldFloor = c.floor;
      return { ...c, floor };
    });
    for (let n = oldFloor; n < floor; n++) await this.events.delete(toId(n));
  }
}
