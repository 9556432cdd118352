/**
 * What people and time decide about a pending request: votes (the last one needed executes it),
 * a rejection with its reason, the requester's cancellation, and expiry. Each is one eTag-guarded
 * transition out of `pending`, so of two racing decisions one wins and the other is told so.
 */
import { type Clock, iso } from '../../clock';
import type { PolicyStore } from '../policy/policyStore';
import type { Reply } from '../replies';
import { text } from '../text';
import type { ChatUser } from '../request';
import type { ApprovalBroadcast } from './broadcast';
import { voteDenial } from './eligibility';
import type { ApprovalExecution } from './execution';
import type { ApprovalRecord } from './model';
import type { ApprovalStore } from './store';
import type { ApprovalView } from './view';
import { person, sameUser, SYSTEM } from './who';

export interface DecisionDeps {
  policy: PolicyStore;
  clock: Clock;
  store: ApprovalStore;
  view: ApprovalView;
  broadcast: ApprovalBroadcast;
  execution: ApprovalExecution;
}

const TOO_LATE = 'Someone decided this request a moment ago.';

export class ApprovalDecisions {
  constructor(private readonly deps: DecisionDeps) {}

  async approve(record: ApprovalRecord, user: ChatUser): Promise<Reply> {
    const { store, view, clock, policy } = this.deps;
    const id = record.id;
    const denial = await voteDenial(record, user, policy);
    if (denial) return this.deny(record, user, denial);
    let approved = false;
    const next = await store.transition(id, async (r) => {
      if (r.status !== 'pending' || r.votes.some((v) => sameUser(v.objectId, user.id))) return undefined;
      const votes = [...r.votes, { ...person(user), at: iso(clock.now()) }];
      // Votes count only while their voter still holds the approver role.
      const valid = (await Promise.all(votes.map((v) => policy.hasRole(v.objectId, r.approverRole)))).filter(
        Boolean,
      ).length;
      approved = valid >= r.approvalsRequired;
      return { ...r, votes, ...(approved ? { status: 'approved' as const, decidedOn: iso(clock.now()) } : {}) };
    });
    if (!next) return view.render(await store.find(id), user, TOO_LATE);
    await this.deps.broadcast.record(next, user, 'approve', {
      details: { votes: next.votes.length, required: next.approvalsRequired },
    });
    if (approved) return (await this.deps.execution.execute(id)) ?? view.render(await store.find(id), user);
    await this.deps.broadcast.card(next);
    return view.render(next, user);
  }

  async reject(record: ApprovalRecord, user: ChatUser, reason: string): Promise<Reply> {
    const denial = await voteDenial(record, user, this.deps.policy);
    if (denial) return this.deny(record, user, denial);
    const why = reason.trim().slice(0, 500);
    if (!why) return { kind: 'error', text: text('Say why you reject it: the requester sees your reason.') };
    const at = iso(this.deps.clock.now());
    return this.decide(record, user, 'reject', { reason: why }, (r) => ({
      ...r,
      status: 'rejected' as const,
      decidedOn: at,
      rejection: { by: person(user), reason: why, at },
    }));
  }

  async cancel(record: ApprovalRecord, user: ChatUser): Promise<Reply> {
    if (!sameUser(record.requester.objectId, user.id))
      return this.deny(record, user, 'Only the requester can cancel a request.');
    if (record.status !== 'pending') return this.deny(record, user, `This request is already ${record.status}.`);
    const at = iso(this.deps.clock.now());
    return this.decide(record, user, 'cancel', {}, (r) => ({
      ...r,
      status: 'cancelled' as const,
      decidedOn: at,
      cancelledBy: person(user),
    }));
  }

  /** Expires an overdue pending request; returns it as it is now. */
  async expireIfDue(record: ApprovalRecord): Promise<ApprovalRecord> {
    const now = this.deps.clock.now();
    if (record.status !== 'pending' || now < Date.parse(record.expiresAt)) return record;
    const next = await this.deps.store.transition(record.id, async (r) =>
      r.status === 'pending' ? { ...r, status: 'expired' as const, decidedOn: iso(now) } : undefined,
    );
    if (next) await this.deps.broadcast.close(next, SYSTEM, 'expire', {});
    return next ?? (await this.deps.store.find(record.id));
  }

  /** Moves a pending request to where `decided` says, once; the loser of a race is told. */
  private async decide(
    record: ApprovalRecord,
    user: ChatUser,
    action: 'reject' | 'cancel',
    details: Record<string, unknown>,
    decided: (r: ApprovalRecord) => ApprovalRecord,
  ): Promise<Reply> {
    const { store, view } = this.deps;
    const next = await store.transition(record.id, async (r) => (r.status === 'pending' ? decided(r) : undefined));
    if (!next) return view.render(await store.find(record.id), user, TOO_LATE);
    await this.deps.broadcast.close(next, user, action, details);
    return view.render(next, user);
  }

  private async deny(record: ApprovalRecord, user: ChatUser, reason: string): Promise<Reply> {
    await this.deps.broadcast.record(record, user, 'deny', { details: { reason } });
    return { kind: 'error', text: text(reason) };
  }
}
