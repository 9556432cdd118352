/**
 * Follows accepted operations and updates the chat message that acknowledged them, until each
 * ends. The list of tracked messages lives in storage, so any replica can carry on after another
 * one stops; an update takes a short lease first, so two replicas never send the same one, and a
 * poll that finds nothing new writes nothing.
 */
import type { RuntimeClient } from '../../client/runtimeClient';
import type { Clock } from '../../clock';
import type { Operation } from '../../domain/runtime';
import { AppError, ErrorCode } from '../../errors';
import type { Logger } from '../../logger';
import { IDLE_POLL_MS, PollLoop } from '../../infra/pollLoop';
import { Collection } from '../../storage/collection';
import { RecordLeases } from '../../storage/lease';
import type { Storage } from '../../storage/storage';
import { traceProgress } from '../../telemetry/delivery';
import { traceparentField } from '../../telemetry/traceparent';
import type { Reply } from '../replies';

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
}

/** The channel edge: replaces a message it sent earlier. */
export interface MessageUpdater {
  update(conversationKey: string, messageId: string, reply: Reply): Promise<void>;
}

const GIVE_UP_MS = 6 * 60 * 60_000;

export class OperationTracker {
  private readonly tracked: Collection<TrackedMessage>;
  /** Taken only to send an update: 30 s covers one message update. */
  private readonly leases: RecordLeases<TrackedMessage>;
  private loop?: PollLoop;

  constructor(
    storage: Storage,
    private readonly client: RuntimeClient,
    private readonly updater: MessageUpdater,
    private readonly clock: Clock,
    private readonly log: Logger,
    owner = `tracker-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
  ) {
    this.tracked = new Collection(storage, 'tracked-operations');
    this.leases = new RecordLeases(this.tracked, owner, clock, 30_000);
  }

  async track(operation: Operation, conversationKey: string, messageId: string, title: string): Promise<void> {
    await this.tracked.put(operation.id, {
      operationId: operation.id,
      conversationKey,
      messageId,
      title,
      shown: shownKey(operation),
      since: this.clock.now(),
      ...traceparentField(),
    });
    this.loop?.wake();
  }

  /** Polls every tracked operation once; returns how many messages were updated. */
  async tick(): Promise<number> {
    return (await this.round()).updated;
  }

  /** A tick that also says how many messages are tracked. */
  private async round(): Promise<{ updated: number; tracked: number }> {
    const ids = await this.tracked.ids();
    let updated = 0;
    for (const id of ids) {
      try {
        if (await this.poll(id)) updated++;
      } catch (error) {
        this.log.warn('tracking an operation failed; will retry', { operationId: id, error });
      }
    }
    return { updated, tracked: ids.length };
  }

  /**
   * Rounds every `intervalMs` while messages are tracked, rarely while none are. A failed round
   * (storage away) is logged and tried again; it never ends the process.
   */
  start(intervalMs = 1000): void {
    this.loop = new PollLoop(async () => (await this.round()).tracked > 0, {
      busyMs: intervalMs,
      idleMs: Math.max(intervalMs, IDLE_POLL_MS),
      log: this.log,
      name: 'tracking round',
    });
    this.loop.start();
  }

  /** Stops the rounds; resolves when the one under way has ended. */
  async stop(): Promise<void> {
    await this.loop?.stop();
  }

  /**
   * Looks at one operation; only when its message must change is the entry leased (eTag-guarded,
   * so of two replicas one sends the update) and written. An operation that has not moved costs
   * reads only.
   */
  private async poll(id: string): Promise<boolean> {
    const entry = await this.tracked.get(id);
    const now = this.clock.now();
    if (!entry || this.leases.blocked(entry)) return false;
    let operation: Operation;
    try {
      operation = await this.client.getOperation(id);
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.NotFound) {
        await this.tracked.delete(id);
        return false;
      }
      throw error;
    }
    const done = operation.status === 'Succeeded' || operation.status === 'Failed';
    const giveUp = now - entry.since > GIVE_UP_MS;
    const shown = shownKey(operation);
    if (shown === entry.shown && !done && !giveUp) return false;
    if (!(await this.leases.take(id, entry))) return false; // another replica is on it
    let updated = false;
    if (shown !== entry.shown) {
      await traceProgress(entry, operation, () =>
        this.updater.update(entry.conversationKey, entry.messageId, {
          kind: 'operation',
          operation,
          title: entry.title,
        }),
      );
      updated = true;
    }
    if (done || giveUp) await this.tracked.delete(id);
    else await this.leases.release(id, { shown });
    return updated;
  }
}

function shownKey(op: Operation): string {
  return `${op.status}:${op.steps.length}`;
}
