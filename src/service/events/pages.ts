/**
 * The numbered event log, in pages. Page `p` holds the events with ids `p*size+1 … p*size+size`,
 * so a reader finds the page of any id by arithmetic, and reading from a cursor costs one GET per
 * page however many events there are, with no listing. Only the sequencer writes pages; a page
 * only grows, and the next page is started only once the previous one is full.
 *
 * `event-log/head` is a hint written by the sequencer when a page is started or old pages are
 * dropped: `page` (every page before it is full), `oldest` (the oldest page kept). Readers probe
 * forward from `page` to find the newest event, so a hint that lags costs a GET, never an event.
 */
import type { ServiceEventType } from '../../domain/runtime';
import { Collection, type Stored } from '../../storage/collection';
import type { Storage } from '../../storage/storage';

export interface PagedEvent {
  id: number;
  /** The inbox name it came from: a sequencer that takes over recognizes what is done already. */
  key: string;
  type: ServiceEventType;
  time: string;
  data: Record<string, unknown>;
}

export interface StoredPage {
  number: number;
  events: PagedEvent[];
  eTag: string;
}

export interface HeadHint {
  page: number;
  oldest: number;
}

const PAGE_PREFIX = 'event-pages/';
/** The prefix of the log's own records: the head hint here, the sequencer's lease. */
export const LOG_META = 'event-log';
export const HEAD_ID = 'head';
/** The counter of the log before pages (one record every change wrote); read once, to go on from it. */
const LEGACY_COUNTER = 'events-meta/counter';

export const pageKey = (page: number): string => `${PAGE_PREFIX}${String(page).padStart(10, '0')}`;

export class PageStore {
  private readonly meta: Collection<HeadHint>;

  constructor(
    private readonly storage: Storage,
    readonly size: number,
  ) {
    this.meta = new Collection(storage, LOG_META);
  }

  pageOf(id: number): number {
    return Math.floor((id - 1) / this.size);
  }

  async page(page: number): Promise<StoredPage | undefined> {
    const key = pageKey(page);
    const found = (await this.storage.read([key]))[key] as { events: PagedEvent[]; eTag: string } | undefined;
    return found ? { number: page, events: found.events, eTag: found.eTag } : undefined;
  }

  async hint(): Promise<Stored<HeadHint> | undefined> {
    return this.meta.get(HEAD_ID);
  }

  /**
   * Events with an id greater than `after`, oldest first, at most `limit`; a cursor older than the
   * oldest kept page resumes at the oldest kept event. `head` is the newest id when the read
   * reached it, undefined when it stopped at `limit`.
   */
  async read(after: number, limit: number): Promise<{ events: PagedEvent[]; head?: number }> {
    const out: PagedEvent[] = [];
    let page = this.pageOf(after + 1);
    let skippedToOldest = false;
    for (;;) {
      const found = await this.page(page);
      if (!found) {
        if (out.length) return { events: out, head: out[out.length - 1].id };
        const hint = await this.hint();
        if (hint && page < hint.oldest && !skippedToOldest) {
          page = hint.oldest; // pruned: go on from the oldest kept event
          skippedToOldest = true;
          continue;
        }
        return { events: out, head: await this.headFrom(hint) };
      }
      for (const event of found.events) if (event.id > after && out.length < limit) out.push(event);
      const newest = found.events[found.events.length - 1].id;
      if (found.events.length < this.size) return { events: out, head: newest };
      if (out.length >= limit) return { events: out }; // a full page: later ones may exist
      page++;
    }
  }

  /** The id of the newest event (0 when there is none). */
  async lastId(): Promise<number> {
    return this.headFrom(await this.hint());
  }

  /**
   * The page the sequencer appends to next: the first one that is missing or not full, probing
   * forward from the hint. `last` is the id of the newest event.
   */
  async headPage(from: number): Promise<{ page: number; stored?: StoredPage; last: number }> {
    for (let page = from; ; page++) {
      const stored = await this.page(page);
      if (!stored) return { page, last: page * this.size };
      if (stored.events.length < this.size) return { page, stored, last: stored.events[stored.events.length - 1].id };
    }
  }

  /** Where a new log starts: after the ids the counter of the old log handed out, on a page boundary. */
  async legacyBasePage(): Promise<number> {
    const counter = (await this.storage.read([LEGACY_COUNTER]))[LEGACY_COUNTER] as { next?: number } | undefined;
    const handedOut = Math.max(0, Number(counter?.next ?? 1) - 1);
    return Math.ceil(handedOut / this.size);
  }

  private async headFrom(hint: HeadHint | undefined): Promise<number> {
    if (!hint) return (await this.legacyBasePage()) * this.size;
    return (await this.headPage(hint.page)).last;
  }
}
