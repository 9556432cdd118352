/**
 * Approval flows, as the commands, card actions and the sweep see them. A change that the policy
 * guards waits as a request until enough approvers vote, and then runs exactly once. The parts,
 * one idea each: the gate (gate.ts), decisions (decisions.ts), execution (execution.ts), what
 * everyone is told (broadcast.ts), the card's view (view.ts), and the records (store.ts).
 */
import type { RuntimeClient } from '../../client/runtimeClient';
import type { Clock } from '../../clock';
import type { Collection } from '../../storage/collection';
import type { Logger } from '../../logger';
import type { Storage } from '../../storage/storage';
import type { AuditLog } from '../audit/auditLog';
import type { Change, ChangeContext, ChangeRequester } from '../changes';
import type { PeopleDirectory } from '../people';
import type { PolicyStore } from '../policy/policyStore';
import type { Reply } from '../replies';
import type { ChatUser } from '../request';
import type { MessageUpdater, OperationTracker } from '../tracking/tracker';
import { ApprovalBroadcast } from './broadcast';
import { ApprovalDecisions } from './decisions';
import { ApprovalExecution } from './execution';
import { ApprovalGate } from './gate';
import type { ApprovalRecord } from './model';
import type { Sealer } from './sealer';
import { ApprovalStore } from './store';
import { ApprovalView } from './view';

export interface ApprovalDeps {
  storage: Storage;
  client: RuntimeClient;
  policy: PolicyStore;
  audit: AuditLog;
  clock: Clock;
  log: Logger;
  sealer: Sealer;
  updater: MessageUpdater;
  tracker: OperationTracker;
  people: PeopleDirectory;
}

export class ApprovalService implements ChangeRequester {
  readonly requests: Collection<ApprovalRecord>;
  private readonly store: ApprovalStore;
  private readonly views: ApprovalView;
  private readonly gate: ApprovalGate;
  private readonly decisions: ApprovalDecisions;
  private readonly execution: ApprovalExecution;

  constructor(private readonly deps: ApprovalDeps) {
    const store = new ApprovalStore(deps.storage);
    const view = new ApprovalView(deps.policy, deps.people);
    const broadcast = new ApprovalBroadcast(store, view, deps.audit, deps.updater, deps.log);
    this.execution = new ApprovalExecution({ ...deps, store, view, broadcast });
    this.decisions = new ApprovalDecisions({ ...deps, store, view, broadcast, execution: this.execution });
    this.gate = new ApprovalGate({ ...deps, store, view });
    this.store = store;
    this.views = view;
    this.requests = store.requests;
    // The tracker follows an executed request's operation on its card and reports its end here.
    deps.tracker.onEnded(async (operation, message) => {
      if (message.approvalId) await this.execution.finish(message.approvalId, operation);
    });
  }

  /** The gate every change passes: run at once, refuse, or wait for approval, as the policy says. */
  submit(change: Change, ctx: ChangeContext): Promise<Reply> {
    return this.gate.submit(change, ctx);
  }

  /** Remembers where the request's card is, so that every later change updates it for everyone. */
  attachMessage(id: string, conversationKey: string, messageId: string): Promise<void> {
    return this.store.attachMessage(id, conversationKey, messageId);
  }

  async show(id: string, user: ChatUser): Promise<Reply> {
    return this.views.render(await this.current(id), user);
  }

  async approve(id: string, user: ChatUser): Promise<Reply> {
    return this.decisions.approve(await this.current(id), user);
  }

  async reject(id: string, user: ChatUser, reason: string): Promise<Reply> {
    return this.decisions.reject(await this.current(id), user, reason);
  }

  async cancel(id: string, user: ChatUser): Promise<Reply> {
    return this.decisions.cancel(await this.current(id), user);
  }

  /** Pending requests, oldest first. */
  pending(): Promise<ApprovalRecord[]> {
    return this.store.pending();
  }

  /** The card's view model; an empty viewer id renders the card everyone sees. */
  view(record: ApprovalRecord, user: ChatUser, notice?: string): Promise<Reply> {
    return this.views.render(record, user, notice);
  }

  /**
   * Expires overdue requests, finishes executions a crash interrupted, and records the results
   * of operations no message follows (the tracker reports the others).
   */
  async sweep(): Promise<void> {
    for (const record of await this.store.openRequests()) {
      await this.refreshState(record).catch((error) =>
        this.deps.log.warn('approval sweep failed', { approvalId: record.id, error }),
      );
    }
  }

  private async current(id: string): Promise<ApprovalRecord> {
    return this.refreshState(await this.store.find(id));
  }

  /** Moves a request on when time or its operation says so. Safe to run anywhere, any number of times. */
  private async refreshState(record: ApprovalRecord): Promise<ApprovalRecord> {
    if (record.status === 'pending') return this.decisions.expireIfDue(record);
    if (record.status === 'approved' || this.execution.isStuck(record)) {
      await this.execution.execute(record.id, record.status === 'executing');
      return this.store.find(record.id);
    }
    if (record.status === 'executing' && record.operationId && !(await this.deps.tracker.follows(record.operationId))) {
      const operation = await this.deps.client.getOperation(record.operationId);
      return (await this.execution.finish(record.id, operation)) ?? (await this.store.find(record.id));
    }
    return record;
  }
}
