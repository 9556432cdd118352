/**
 * The one owner of "this message shows this operation". Approvals and commands hand it an
 * operation and the message that acknowledged it; it updates the message until the operation
 * ends, and then tells whoever asked to hear about the end (an approval records its result).
 *
 * It is fed by the service's event log (`onEvents`, from the notifier's tail): an event that
 * names a followed operation reads that operation once and updates its messages. Polling is
 * only the fallback for events missed or late and for a replica that died holding a message:
 * every `fallbackMs`, for operations this process has not read since.
 *
 * The followed messages live in storage, so any replica carries on after another one stops. An
 * update takes a short lease on its message first (eTag-guarded), so two replicas never send the
 * same one; a read that finds nothing new writes nothing, and the same view is never sent twice.
 */
import { createHash } from 'node:crypto';
import type { RuntimeClient } from '../../client/runtimeClient';
import type { Clock } from '../../clock';
import type { Operation, ServiceEvent } from '../../domain/runtime';
import { AppError, ErrorCode } from '../../errors';
import type { Logger } from '../../logger';
import { IDLE_POLL_MS, PollLoop } from '../../infra/pollLoop';
import { Collection, type Stored } from '../../storage/collection';
import { RecordLeases } from '../../storage/lease';
import { isEtagConflict, type Storage } from '../../storage/storage';
import { traceProgress } from '../../telemetry/delivery';
import { traceparentField } from '../../telemetry/traceparent';
import type { Reply } from '../replies';
import { operationIdsIn } from './operationEvents';

export interface TrackedMessage {
  operationId: string;
  conversationKey: string;
  messageId: string;
  title: string;
  /** What the message shows now: status and step count. */
  shown: string;
  since: number;
  lease?: { owner: string; until: number };
  /** W3C traceparent of the turn that started following it: each update links back to it. */
  traceparent?: string;
  /** The approval request this message executes: it records the result when the operation ends. */
  approvalId?: string;
}

/** The channel edge: replaces a message it sent earlier. */
export interface MessageUpdater {
  update(conversationKey: string, messageId: string, reply: Reply): Promise<void>;
}

/** Told once an operation a message followed has ended, before the message is forgotten. */
export type OperationEnded = (operation: Operation, message: TrackedMessage) => Promise<void>;

const GIVE_UP_MS = 6 * 60 * 60_000;
const LEASE_MS = 30_000;
/** How often an operation is read when no event named it: events do the rest. */
export const FALLBACK_POLL_MS = 10_000;

export class OperationTracker {
  private readonly tracked: Collection<TrackedMessage>;
  private readonly ended: OperationEnded[] = [];
  /** When this process last read each followed operation (an event or a poll). */
  private readonly lastRead = new Map<string, number>();
  /** Taken only to send an update: 30 s covers one message update. */
  private readonly leases: RecordLeases<TrackedMessage>;
  private loop?: PollLoop;
  /** Operations this process knows to be followed (its own, and those its last round found). */
  private readonly following = new Set<string>();
  private readonly followListeners: (() => void)[] = [];

  constructor(
    storage: Storage,
    private readonly client: RuntimeClient,
    private readonly updater: MessageUpdater,
    private readonly clock: Clock,
    private readonly log: Logger,
    owner = `tracker-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
  ) {
    this.tracked = new Collection(storage, 'tracked-operations');
    this.leases = new RecordLeases(this.tracked, owner, clock, LEASE_MS);
  }

  /**
   * Follows `operation` on the message. Handing over the same message twice (a retry, or an
   * approval and its invoke answer) keeps the first entry: one message, one owner.
   */
  async track(
    operation: Operation,
    conversationKey: string,
    messageId: string,
    title: string,
    origin: { approvalId?: string } = {},
  ): Promise<void> {
    const entry: TrackedMessage = {
      operationId: operation.id,
      conversationKey,
      messageId,
      title,
      shown: shownKey(operation),
      since: this.clock.now(),
      ...traceparentField(),
      ...(origin.approvalId ? { approvalId: origin.approvalId } : {}),
    };
    try {
      await this.tracked.create(entryId(operation.id, conversationKey, messageId), entry);
    } catch (error) {
      if (!isEtagConflict(error)) throw error;
    }
    this.following.add(operation.id);
    for (const listener of this.followListeners) listener();
  }

  /** Whether this process knows of a message that follows an operation still running. */
  isFollowing(): boolean {
    return this.following.size > 0;
  }

  /** Runs `listener` whenever this process starts following an operation (its events will come soon). */
  onFollow(listener: () => void): void {
    this.followListeners.push(listener);
  }

  /** Whether some message follows this operation (then its end will be reported). */
  async follows(operationId: string): Promise<boolean> {
    return (await this.tracked.ids(`${operationId}.`)).length > 0;
  }

  /** Runs `handler` for every followed operation that ends, on whichever replica sees the end. */
  onEnded(handler: OperationEnded): void {
    this.ended.push(handler);
  }

  /**
   * A page of the service's event log: each followed operation it names is read once and its
   * messages updated. Failures are left to the fallback poll, so the log's reader never stalls.
   */
  async onEvents(events: readonly ServiceEvent[]): Promise<number> {
    let updated = 0;
    for (const operationId of operationIdsIn(events)) {
      try {
        const ids = await this.tracked.ids(`${operationId}.`);
        if (ids.length) updated += await this.refresh(operationId, ids);
      } catch (error) {
        this.log.warn('following an operation event failed; the poll will catch up', { operationId, error });
      }
    }
    return updated;
  }

  /** Reads every followed operation once, due or not; returns how many messages were updated. */
  async tick(): Promise<number> {
    return (await this.round(true)).updated;
  }

  /** The fallback's round: reads the followed operations this process has not read for `dueMs`. */
  async pollDue(dueMs = FALLBACK_POLL_MS): Promise<{ updated: number; tracked: number }> {
    return this.round(false, dueMs);
  }

  /**
   * The fallback: rounds every `fallbackMs` while messages are followed, rarely while none are.
   * A failed round (storage away) is logged and tried again; it never ends the process.
   */
  start(fallbackMs = FALLBACK_POLL_MS): void {
    this.loop = new PollLoop(async () => (await this.pollDue(fallbackMs)).tracked > 0, {
      busyMs: fallbackMs,
      idleMs: Math.max(fallbackMs, IDLE_POLL_MS),
      log: this.log,
      name: 'tracking round',
    });
    this.loop.start();
  }

  /** Stops the rounds; resolves when the one under way has ended. */
  async stop(): Promise<void> {
    await this.loop?.stop();
  }

  /** One read of each followed operation this process has not read for `dueMs` (all with `all`). */
  private async round(all: boolean, dueMs = 0): Promise<{ updated: number; tracked: number }> {
    const byOperation = new Map<string, string[]>();
    for (const id of await this.tracked.ids()) {
      const operationId = operationOf(id);
      byOperation.set(operationId, [...(byOperation.get(operationId) ?? []), id]);
    }
    // What is followed now, as stored; the refreshes below take out what ends.
    this.following.clear();
    for (const operationId of byOperation.keys()) this.following.add(operationId);
    const now = this.clock.now();
    let updated = 0;
    for (const [operationId, ids] of byOperation) {
      if (!all && now - (this.lastRead.get(operationId) ?? -Infinity) < dueMs) continue;
      try {
        updated += await this.refresh(operationId, ids);
      } catch (error) {
        this.log.warn('tracking an operation failed; will retry', { operationId, error });
      }
    }
    for (const operationId of this.lastRead.keys())
      if (!byOperation.has(operationId)) this.lastRead.delete(operationId);
    return { updated, tracked: byOperation.size };
  }

  /**
   * Reads the operation once for all its messages that no other replica holds, and brings each
   * of them up to date. An operation that has not moved costs that one read.
   */
  private async refresh(operationId: string, ids: string[]): Promise<number> {
    const free = (await this.tracked.getManyWithIds(ids)).filter(([, entry]) => !this.leases.blocked(entry));
    if (free.length === 0) return 0;
    let operation: Operation;
    try {
      operation = await this.client.getOperation(operationId);
    } catch (error) {
      if (!(error instanceof AppError && error.code === ErrorCode.NotFound)) throw error;
      for (const [id] of free) await this.tracked.delete(id);
      this.following.delete(operationId);
      return 0;
    } finally {
      this.lastRead.set(operationId, this.clock.now());
    }
    let updated = 0;
    for (const [id, entry] of free) if (await this.bringUpToDate(id, entry, operation)) updated++;
    return updated;
  }

  /**
   * Only when the message must change is its entry leased (of two replicas, one wins the eTag)
   * and the update sent. An ended operation is reported, then its message forgotten.
   */
  private async bringUpToDate(id: string, entry: Stored<TrackedMessage>, operation: Operation): Promise<boolean> {
    const now = this.clock.now();
    const done = operation.status === 'Succeeded' || operation.status === 'Failed';
    const giveUp = now - entry.since > GIVE_UP_MS;
    const shown = shownKey(operation);
    if (shown === entry.shown && !done && !giveUp) return false;
    const leased = await this.leases.take(id, entry);
    if (!leased) return false; // another replica is on it
    const updated = shown !== entry.shown;
    if (updated) {
      await traceProgress(entry, operation, () =>
        this.updater.update(entry.conversationKey, entry.messageId, {
          kind: 'operation',
          operation,
          title: entry.title,
        }),
      );
    }
    try {
      if (done) for (const handler of this.ended) await handler(operation, leased);
    } catch (error) {
      // The message is up to date; the entry stays, so the end is reported again on the next read.
      await this.leases.release(id, { shown });
      throw error;
    }
    if (done || giveUp) {
      await this.tracked.delete(id);
      this.following.delete(operation.id);
    } else await this.leases.release(id, { shown });
    return updated;
  }
}

/** One entry per operation and message; the operation id leads, so its messages list by prefix. */
function entryId(operationId: string, conversationKey: string, messageId: string): string {
  const message = createHash('sha256').update(`${conversationKey}\n${messageId}`).digest('base64url').slice(0, 22);
  return `${operationId}.${message}`;
}

function operationOf(id: string): string {
  const dot = id.lastIndexOf('.');
  return dot < 0 ? id : id.slice(0, dot);
}

function shownKey(op: Operation): string {
  return `${op.status}:${op.steps.length}`;
}
