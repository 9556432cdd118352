/**
 * Executing an approved request exactly once, however many replicas, clicks and retries race:
 * only the write that moves `approved` to `executing` calls the runtime service, and it does so
 * with the Idempotency-Key `approval-<id>`, so even a retry after a crash starts one operation.
 * The operation is then handed to the tracker with the request's card; when it ends, the tracker
 * reports back here and the request records its result.
 */
import type { RuntimeClient } from '../../client/runtimeClient';
import { type Clock, iso } from '../../clock';
import type { Operation } from '../../domain/runtime';
import { AppError, ErrorCode } from '../../errors';
import { linkActiveSpan } from '../../telemetry/traceparent';
import { type Change, runChange } from '../changes';
import { operationTitle } from '../operationTitle';
import type { PolicyStore } from '../policy/policyStore';
import type { Reply } from '../replies';
import type { MessageUpdater, OperationTracker } from '../tracking/tracker';
import type { ApprovalBroadcast } from './broadcast';
import type { ApprovalRecord } from './model';
import type { Sealer } from './sealer';
import type { ApprovalStore } from './store';
import type { ApprovalView } from './view';
import { mayRequest, SYSTEM } from './who';

export interface ExecutionDeps {
  client: RuntimeClient;
  policy: PolicyStore;
  clock: Clock;
  sealer: Sealer;
  updater: MessageUpdater;
  tracker: OperationTracker;
  store: ApprovalStore;
  view: ApprovalView;
  broadcast: ApprovalBroadcast;
}

/** An execution claimed this long ago without an operation id is taken to have died mid-way. */
const STUCK_MS = 30_000;

export class ApprovalExecution {
  constructor(private readonly deps: ExecutionDeps) {}

  /** Whether an `executing` request lost its executor before the service call was recorded. */
  isStuck(record: ApprovalRecord): boolean {
    return record.status === 'executing' && !record.operationId && this.stale(record);
  }

  /** Executes an approved request once; `resume` retries one whose executor died mid-way. */
  async execute(id: string, resume = false): Promise<Reply | undefined> {
    const { store, broadcast } = this.deps;
    const now = iso(this.deps.clock.now());
    // Each claim stamps its time, so of concurrent resumers of a stuck execution only one wins.
    const claimed = await store.transition(id, async (r) =>
      r.status === 'approved' || (resume && this.isStuck(r))
        ? { ...r, status: 'executing' as const, claimedOn: now }
        : undefined,
    );
    if (!claimed) return undefined;
    linkActiveSpan(claimed.traceparent);
    const change = this.deps.sealer.unseal<Change>(claimed.sealed);
    const actor = claimed.requester;
    try {
      if (this.deps.policy.current() && !mayRequest(await this.deps.policy.rolesOf(actor.objectId))) {
        throw new AppError(
          ErrorCode.Forbidden,
          `${actor.name ?? actor.objectId} no longer holds a role that may request changes; the request does not run.`,
        );
      }
      const reply = await runChange(this.deps.client, change, actor, `approval-${id}`);
      if (reply.kind !== 'operation') return reply;
      const done = await store.transition(id, async (r) => ({ ...r, operationId: reply.operation.id }));
      await broadcast.record(claimed, SYSTEM, 'execute', { operationId: reply.operation.id });
      const title = `${operationTitle(reply.operation)} (approved)`;
      if (done?.messageId && done.conversation.key) {
        await this.deps.updater.update(done.conversation.key, done.messageId, { ...reply, title });
        await this.deps.tracker.track(reply.operation, done.conversation.key, done.messageId, title, {
          approvalId: id,
        });
      }
      return { ...reply, title };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // The runtime changed while the request waited (deleted, busy, edited): the request fails.
      const failed = await store.transition(id, async (r) => ({
        ...r,
        status: 'failed' as const,
        result: { status: 'Failed', message: error.message },
      }));
      if (failed) await broadcast.close(failed, SYSTEM, 'result', { error: error.message });
      return failed ? this.deps.view.render(failed, { id: claimed.requester.objectId }) : undefined;
    }
  }

  /**
   * Records the result of the request's operation once it has ended; the card already shows the
   * operation, so it is not redrawn. Undefined while the operation runs.
   */
  async finish(id: string, operation: Operation): Promise<ApprovalRecord | undefined> {
    if (operation.status !== 'Succeeded' && operation.status !== 'Failed') return undefined;
    const status = operation.status === 'Succeeded' ? ('succeeded' as const) : ('failed' as const);
    const result = { status: operation.status, ...(operation.error ? { message: operation.error.message } : {}) };
    const next = await this.deps.store.transition(id, async (r) =>
      r.status === 'executing' && r.operationId === operation.id ? { ...r, status, result } : undefined,
    );
    if (next) await this.deps.broadcast.close(next, SYSTEM, 'result', { operationStatus: operation.status }, false);
    return next;
  }

  private stale(record: ApprovalRecord): boolean {
    const since = record.claimedOn ?? record.decidedOn ?? record.createdOn;
    return this.deps.clock.now() - Date.parse(since) > STUCK_MS;
  }
}
