/**
 * The event inbox: where an event waits between its append and its number. Each append is a
 * create-only item under a key that only its writer can produce, so writers on any number of
 * replicas never touch the same item:
 *
 *   event-inbox/<ms, 13 digits>-<writer id>-<writer seq, 10 digits>
 *
 * `ms` is the writer's clock, never going back (max of now and its last ms), and `seq` counts the
 * writer's appends, so one writer's keys sort in the order of its appends and all keys sort
 * roughly by time. Only the sequencer reads the inbox; it deletes what it has numbered.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock';
import type { ServiceEventType } from '../../domain/runtime';
import { IF_NONE_MATCH, isEtagConflict, type Storage } from '../../storage/storage';

export const INBOX_PREFIX = 'event-inbox/';

/** What an event is before it has an id. */
export interface InboxEntry {
  type: ServiceEventType;
  time: string;
  data: Record<string, unknown>;
}

/**
 * What an inbox item holds: one event, or several appended together (`batch`), which are numbered
 * in one round, in their order. At most a page of events: a round never numbers more.
 */
export type InboxItem = InboxEntry | { batch: InboxEntry[] };

/** The events of an item, in their order. */
export function entriesOf(item: InboxItem): InboxEntry[] {
  return 'batch' in item ? item.batch : [item];
}

export const inboxKey = (name: string): string => `${INBOX_PREFIX}${name}`;

/** The names (keys without the prefix) waiting in the inbox, oldest first. */
export async function waitingInInbox(storage: Storage): Promise<string[]> {
  return (await storage.list(INBOX_PREFIX)).map((key) => key.slice(INBOX_PREFIX.length));
}

export class InboxWriter {
  /** Random per process start: two writers never share an id, so never a key. */
  readonly id = randomBytes(4).toString('hex');
  private lastMs = 0;
  private seq = 0;

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
  ) {}

  /** The next name of this writer; called in append order, so names keep that order. */
  nextName(): string {
    this.lastMs = Math.max(this.clock.now(), this.lastMs);
    this.seq += 1;
    return `${String(this.lastMs).padStart(13, '0')}-${this.id}-${String(this.seq).padStart(10, '0')}`;
  }

  async write(name: string, item: InboxItem): Promise<void> {
    try {
      await this.storage.write({ [inboxKey(name)]: { ...item, eTag: IF_NONE_MATCH } });
    } catch (error) {
      // Only this writer makes this name: a conflict is our own earlier attempt (a retry inside
      // the storage client) that landed. The event is in.
      if (!isEtagConflict(error)) throw error;
    }
  }
}
