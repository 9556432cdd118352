/**
 * Numbers what waits in the event inbox and appends it to the paged log. Every replica runs one;
 * a lease lets one of them work at a time, and it is taken only when the inbox holds something,
 * so nothing is written while nothing happens.
 *
 * A round: list the inbox (oldest first), read the head pages, read the waiting events (those
 * this process appended are known without a read), give them the next numbers, write the pages
 * (eTag-guarded, or create-only for a new page), then delete what was numbered. The page writes are the fence: a holder whose lease lapsed unseen finds the page
 * changed and starts over, so two holders never hand out the same number.
 *
 * Crash safety: every paged event keeps its inbox name. A holder that dies after writing a page
 * but before deleting the inbox items leaves them behind; the next round finds their names in the
 * last pages and deletes them instead of numbering them again. A round takes at most one page of
 * events, so what can be left behind lies within the last two pages; the last three are checked,
 * and a holder also remembers what it numbered in the last ten minutes.
 *
 * Retention: when a page is started, pages older than `retainMs` are dropped, and so is any page
 * beyond the newest `retainPages`; the head page and the one before it are always kept.
 */
import type { Clock } from '../../clock';
import type { Logger } from '../../logger';
import { Collection, UNCHANGED } from '../../storage/collection';
import { Lease } from '../../storage/lease';
import { IF_NONE_MATCH, isEtagConflict, type Storage } from '../../storage/storage';
import { entriesOf, type InboxEntry, type InboxItem, inboxKey, waitingInInbox } from './inbox';
import { HEAD_ID, type HeadHint, LOG_META, type PagedEvent, pageKey, type PageStore } from './pages';

/** The events this process appended and has not seen numbered: they need no read of the inbox. */
export interface LocalAppends {
  entry(name: string): InboxEntry[] | undefined;
}

export interface SequencerOptions {
  owner: string;
  leaseMs: number;
  retainPages: number;
  retainMs: number;
}

const LEASE_KEY = `${LOG_META}/sequencer`;
/** Pages whose inbox names are checked before numbering (see the header). */
const CHECKED_PAGES = 3;
const REMEMBER_MS = 10 * 60_000;
/** Pages dropped per round at most, so that catching up on retention never stalls numbering. */
const PRUNE_PER_ROUND = 20;

export class Sequencer {
  private readonly lease: Lease;
  private readonly meta: Collection<HeadHint>;
  /** Inbox names this holder numbered, and when. */
  private readonly numbered = new Map<string, number>();
  /** Inbox names of full pages before the head (they never change), by page. */
  private readonly fullPages = new Map<number, Set<string>>();
  private hint?: HeadHint;
  private headNumber?: number;

  constructor(
    private readonly storage: Storage,
    private readonly pages: PageStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly onCommit: (events: PagedEvent[]) => void,
    private readonly local: LocalAppends,
    private readonly options: SequencerOptions,
  ) {
    this.lease = new Lease(storage, LEASE_KEY, options.owner, clock, options.leaseMs);
    this.meta = new Collection(storage, LOG_META);
  }

  /** Whether this process holds the lease (and so should look at the inbox often). */
  holding(): boolean {
    return this.lease.held();
  }

  /**
   * Numbers everything in the inbox while this process holds the lease. Returns the names still
   * waiting when it stopped: none when the inbox is empty, all of them when another replica holds
   * the lease.
   */
  async run(): Promise<Set<string>> {
    for (;;) {
      const waiting = await waitingInInbox(this.storage);
      if (waiting.length === 0) return new Set();
      const wasHolding = this.lease.held();
      if (!(await this.lease.hold())) return new Set(waiting);
      if (!wasHolding) this.forgetHead(); // another holder may have written since we last did
      try {
        const took = await this.round(waiting.slice(0, this.pages.size));
        // All that was listed is numbered: what came since is another wake's (a local append) or
        // the next poll's, so the round is not followed by a listing that would find nothing.
        if (took === waiting.length) return new Set();
      } catch (error) {
        if (!isEtagConflict(error)) throw error;
        // Another holder wrote meanwhile (our lease lapsed unseen, or clocks disagree): look again.
        this.log.info('event sequencer lost a race for a page; reading the log again', { key: error.key });
        this.forgetHead();
        this.lease.forget();
      }
    }
  }

  /** Gives the lease back, so that another replica takes over at once. */
  async stop(): Promise<void> {
    await this.lease.release();
  }

  private forgetHead(): void {
    this.hint = undefined;
    this.headNumber = undefined;
  }

  /** Numbers at most a page of events from the first of `names`; returns how many names it took. */
  private async round(listed: string[]): Promise<number> {
    const hint = (this.hint ??= (await this.pages.hint()) ?? (await this.startLog()));
    const head = await this.pages.headPage(Math.max(this.headNumber ?? hint.page, hint.page));
    const done = await this.recentNames(head.page, head.stored?.events ?? [], hint.oldest);
    const fresh = listed.filter((name) => !done.has(name));
    // What this process appended is known; a name numbered and deleted by a holder since the
    // listing is in `done` or, if it was numbered after the head page was read, fails the page write.
    const unknown = fresh.filter((name) => !this.local.entry(name));
    const found = unknown.length ? await this.storage.read(unknown.map(inboxKey)) : {};
    let page = head.page;
    let events = head.stored?.events ?? [];
    let eTag = head.stored?.eTag;
    let nextId = head.last + 1;
    const written: PagedEvent[] = [];
    let took = 0;
    for (const name of listed) {
      const item = found[inboxKey(name)] as unknown as InboxItem | undefined;
      const entries = done.has(name) ? [] : (this.local.entry(name) ?? (item ? entriesOf(item) : []));
      // A round numbers at most a page of events (what a crash can leave behind stays in reach).
      if (written.length + entries.length > this.pages.size) break;
      took += 1;
      // No entries: numbered already, or numbered and deleted by another holder since we listed it.
      for (const entry of entries) {
        if (events.length === this.pages.size) {
          // Full (the head page never is when a round starts, so this round filled it): next page.
          await this.writePage(page, events, eTag);
          this.fullPages.set(page, new Set(events.map((e) => e.key)));
          page += 1;
          events = [];
          eTag = undefined;
        }
        const event: PagedEvent = { id: nextId++, key: name, type: entry.type, time: entry.time, data: entry.data };
        events = [...events, event];
        written.push(event);
      }
    }
    const names = listed.slice(0, took);
    if (written.length) await this.writePage(page, events, eTag);
    this.headNumber = page;
    await this.storage.delete(names.map(inboxKey));
    const now = this.clock.now();
    for (const name of names) this.numbered.set(name, now);
    if (page > hint.page) await this.startedPage(page);
    if (written.length) this.onCommit(written);
    return took;
  }

  private async writePage(page: number, events: PagedEvent[], eTag: string | undefined): Promise<void> {
    await this.storage.write({ [pageKey(page)]: { events, eTag: eTag ?? IF_NONE_MATCH } });
  }

  /** Inbox names already in the log: the head page, the pages before it, and what this holder did lately. */
  private async recentNames(head: number, headEvents: PagedEvent[], oldest: number): Promise<Set<string>> {
    const names = new Set(headEvents.map((e) => e.key));
    for (let page = head - 1; page >= Math.max(oldest, head - CHECKED_PAGES + 1); page--) {
      let keys = this.fullPages.get(page);
      if (!keys) {
        keys = new Set((await this.pages.page(page))?.events.map((e) => e.key) ?? []);
        this.fullPages.set(page, keys);
      }
      for (const key of keys) names.add(key);
    }
    for (const page of this.fullPages.keys()) if (page < head - CHECKED_PAGES) this.fullPages.delete(page);
    const forgetBefore = this.clock.now() - REMEMBER_MS;
    for (const [name, at] of this.numbered) {
      if (at < forgetBefore) this.numbered.delete(name);
      else names.add(name);
    }
    return names;
  }

  /** The first round of a new log: it goes on after the ids the log before pages handed out. */
  private async startLog(): Promise<HeadHint> {
    const base = await this.pages.legacyBasePage();
    try {
      await this.meta.create(HEAD_ID, { page: base, oldest: base });
      if (base > 0) void this.dropLegacyEvents();
    } catch (error) {
      if (!isEtagConflict(error)) throw error; // another replica started it
    }
    return (await this.pages.hint()) ?? { page: base, oldest: base };
  }

  /** A page was started: move the hint forward (never back) and drop pages past retention. */
  private async startedPage(head: number): Promise<void> {
    const stored = await this.meta.update(HEAD_ID, (h) =>
      h && h.page >= head ? UNCHANGED : { page: head, oldest: h?.oldest ?? head },
    );
    const oldest = stored?.oldest ?? head;
    let keep = oldest;
    const cutoff = this.clock.now() - this.options.retainMs;
    while (keep < Math.min(head - 1, oldest + PRUNE_PER_ROUND)) {
      if (head - keep + 1 <= this.options.retainPages) {
        const page = await this.pages.page(keep);
        if (page && Date.parse(page.events[page.events.length - 1].time) >= cutoff) break;
      }
      keep += 1;
    }
    if (keep > oldest) {
      // The hint first: a reader that finds a page missing below `oldest` knows it was dropped.
      await this.meta.update(HEAD_ID, (h) => (h && h.oldest < keep ? { ...h, oldest: keep } : UNCHANGED));
      const dropped = Array.from({ length: keep - oldest }, (_, i) => pageKey(oldest + i));
      await this.storage.delete(dropped);
      this.log.debug('old event pages dropped', { pages: dropped.length, oldestKept: keep });
    }
    this.hint = { page: head, oldest: keep };
  }

  /** The items of the log before pages: nobody reads them any more. */
  private async dropLegacyEvents(): Promise<void> {
    try {
      const keys = await this.storage.list('events/');
      for (let i = 0; i < keys.length; i += 100) await this.storage.delete(keys.slice(i, i + 100));
      await this.storage.delete(['events-meta/counter']);
    } catch (error) {
      this.log.warn('could not delete the events of the old log; they are unused', { error });
    }
  }
}
