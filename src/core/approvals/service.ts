/**
 * Approval flows. A change that the policy guards is checked against the runtime service, then
 * waits as a request until enough approvers vote; it is then executed exactly once, however many
 * replicas, clicks and retries race for it:
 * - every transition is an eTag-guarded write of the request (pending → approved → executing …);
 * - only the write that moves `approved` to `executing` calls the runtime service, and it does so
 *   with the Idempotency-Key `approval-<id>`, so even a retry after a crash starts one operation.
 */
import { randomBytes } from 'node:crypto';
import type { RuntimeClient } from '../../client/runtimeClient';
import { type Clock, iso } from '../../clock';
import type { Runtime } from '../../domain/runtime';
import { redactSecrets } from '../../domain/secrets';
import { AppError, ErrorCode, notFound } from '../../errors';
import type { Logger } from '../../logger';
import { Collection, UNCHANGED } from '../../storage/collection';
import type { Storage } from '../../storage/storage';
import type { AuditLog } from '../audit/auditLog';
import { type Change, type ChangeContext, type ChangeRequester, runChange } from '../changes';
import { operationTitle } from '../operationTitle';
import { formatDuration, normaliseObjectId, ruleFor } from '../policy/policy';
import type { PeopleDirectory } from '../people';
import type { PolicyStore } from '../policy/policyStore';
import type { Reply } from '../replies';
import type { ChatUser } from '../request';
import type { MessageUpdater, OperationTracker } from '../tracking/tracker';
import { describeChanges } from './describe';
import type { ApprovalRecord, ApprovalViewer } from './model';
import type { Sealer } from './sealer';
import { linkActiveSpan, traceparentField } from '../../telemetry/traceparent';
import { code, t, text } from '../text';

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

const REQUESTER_ROLES = ['owner', 'dataScientist'] as const;
const STUCK_MS = 30_000;

export class ApprovalService implements ChangeRequester {
  readonly requests: Collection<ApprovalRecord>;
  private readonly open: Collection<{ since: string }>;

  constructor(private readonly deps: ApprovalDeps) {
    this.requests = new Collection(deps.storage, 'approvals');
    this.open = new Collection(deps.storage, 'approvals-open');
  }

  /** The gate every change passes: run at once, refuse, or wait for approval, as the policy says. */
  async submit(change: Change, ctx: ChangeContext): Promise<Reply> {
    const { client, policy, audit } = this.deps;
    const current = policy.current();
    if (!current) return runChange(client, change, ctx.actor, ctx.idempotencyKey);
    const base = {
      actor: { id: ctx.user.id, name: ctx.user.name },
      runtime: change.runtimeName,
      kind: change.kind,
      conversation: { id: ctx.conversation.id, type: ctx.conversation.type },
    };
    const roles = await policy.rolesOf(ctx.user.id);
    if (!REQUESTER_ROLES.some((r) => roles.includes(r))) {
      await audit.append({ ...base, action: 'deny', details: { reason: 'no requester role', roles } });
      return {
        kind: 'error',
        text: t`You need the dataScientist or owner role to ${change.kind} runtimes. Say ${code('roles')} to see who can grant it.`,
      };
    }
    const rule = ruleFor(current, change.kind, change.runtimeName);
    if (rule.approvals === 0) {
      const reply = await runChange(client, change, ctx.actor, ctx.idempotencyKey);
      if (reply.kind === 'operation')
        await audit.append({ ...base, action: 'direct', operationId: reply.operation.id });
      return reply;
    }
    // Approvers must never vote on something that cannot run: check it first.
    const checked = await client.validateChange(change.kind, change.runtimeName, change.body, ctx.actor);
    const before: Runtime | undefined =
      change.kind === 'create' ? undefined : (await client.getRuntime(change.runtimeName)).runtime;
    const now = this.deps.clock.now();
    const record: ApprovalRecord = {
      id: newId(),
      status: 'pending',
      kind: change.kind,
      runtimeName: before?.name ?? change.runtimeName,
      sealed: this.deps.sealer.seal(change),
      changes: describeChanges(change.kind, before, checked.input),
      warnings: checked.warnings.map(redactSecrets),
      requester: ctx.actor,
      conversation: { id: ctx.conversation.id, type: ctx.conversation.type },
      approvalsRequired: rule.approvals,
      approverRole: rule.approverRole,
      ruleLine: rule.line,
      votes: [],
      createdOn: iso(now),
      expiresAt: iso(now + rule.expiresAfterMs),
      ...traceparentField(),
    };
    await this.requests.create(record.id, record);
    await this.open.put(record.id, { since: record.createdOn });
    await audit.append({
      ...base,
      action: 'request',
      approvalId: record.id,
      details: {
        changes: record.changes,
        approvalsRequired: rule.approvals,
        approverRole: rule.approverRole,
        expiresAfter: formatDuration(rule.expiresAfterMs),
      },
    });
    // The posted card is the one everyone sees; refresh gives approvers and the requester their own.
    return this.view(record, { id: '' });
  }

  /** Remembers where the request's card is, so that every later change updates it for everyone. */
  async attachMessage(id: string, conversationKey: string, messageId: string): Promise<void> {
    await this.requests.update(id, (r) =>
      r ? { ...r, messageId, conversation: { ...r.conversation, key: conversationKey } } : UNCHANGED,
    );
  }

  async show(id: string, user: ChatUser): Promise<Reply> {
    return this.view(await this.refreshState(await this.find(id)), user);
  }

  async approve(rawId: string, user: ChatUser): Promise<Reply> {
    const record = await this.refreshState(await this.find(rawId));
    const id = record.id;
    const denial = await this.voteDenial(record, user);
    if (denial) return this.deny(record, user, denial);
    let approved = false;
    const next = await this.transition(id, async (r) => {
      if (r.status !== 'pending' || r.votes.some((v) => sameUser(v.objectId, user.id))) return undefined;
      const votes = [
        ...r.votes,
        { objectId: user.id, ...(user.name ? { name: user.name } : {}), at: iso(this.deps.clock.now()) },
      ];
      // Votes count only while their voter still holds the approver role.
      const valid = (await Promise.all(votes.map((v) => this.deps.policy.hasRole(v.objectId, r.approverRole)))).filter(
        Boolean,
      ).length;
      approved = valid >= r.approvalsRequired;
      return {
        ...r,
        votes,
        ...(approved ? { status: 'approved' as const, decidedOn: iso(this.deps.clock.now()) } : {}),
      };
    });
    if (!next) return this.view(await this.find(id), user, 'Someone decided this request a moment ago.');
    await this.deps.audit.append({
      ...this.auditBase(next, user),
      action: 'approve',
      details: { votes: next.votes.length, required: next.approvalsRequired },
    });
    if (approved) return (await this.execute(id)) ?? this.view(await this.find(id), user);
    await this.broadcast(next);
    return this.view(next, user);
  }

  async reject(rawId: string, user: ChatUser, reason: string): Promise<Reply> {
    const record = await this.refreshState(await this.find(rawId));
    const id = record.id;
    const denial = await this.voteDenial(record, user);
    if (denial) return this.deny(record, user, denial);
    const why = reason.trim().slice(0, 500);
    if (!why) return { kind: 'error', text: text('Say why you reject it: the requester sees your reason.') };
    const next = await this.transition(id, async (r) =>
      r.status === 'pending'
        ? {
            ...r,
            status: 'rejected' as const,
            decidedOn: iso(this.deps.clock.now()),
            rejection: { by: person(user), reason: why, at: iso(this.deps.clock.now()) },
          }
        : undefined,
    );
    if (!next) return this.view(await this.find(id), user, 'Someone decided this request a moment ago.');
    await this.close(next, user, 'reject', { reason: why });
    return this.view(next, user);
  }

  async cancel(rawId: string, user: ChatUser): Promise<Reply> {
    const record = await this.refreshState(await this.find(rawId));
    const id = record.id;
    if (!sameUser(record.requester.objectId, user.id))
      return this.deny(record, user, 'Only the requester can cancel a request.');
    if (record.status !== 'pending') return this.deny(record, user, `This request is already ${record.status}.`);
    const next = await this.transition(id, async (r) =>
      r.status === 'pending'
        ? { ...r, status: 'cancelled' as const, decidedOn: iso(this.deps.clock.now()), cancelledBy: person(user) }
        : undefined,
    );
    if (!next) return this.view(await this.find(id), user, 'Someone decided this request a moment ago.');
    await this.close(next, user, 'cancel', {});
    return this.view(next, user);
  }

  /** Pending requests, oldest first. */
  async pending(): Promise<ApprovalRecord[]> {
    const open = await this.requests.getMany(await this.open.ids());
    return open.filter((r) => r.status === 'pending').sort((a, b) => a.createdOn.localeCompare(b.createdOn));
  }

  /** Expires overdue requests, finishes executions a crash interrupted, and records results. */
  async sweep(): Promise<void> {
    for (const id of await this.open.ids()) {
      const record = await this.requests.get(id);
      if (!record) await this.open.delete(id);
      else
        await this.refreshState(record).catch((error) =>
          this.deps.log.warn('approval sweep failed', { approvalId: id, error }),
        );
    }
  }

  /** Moves a request on when time or its operation says so. Safe to run anywhere, any number of times. */
  private async refreshState(record: ApprovalRecord): Promise<ApprovalRecord> {
    const now = this.deps.clock.now();
    if (record.status === 'pending' && now >= Date.parse(record.expiresAt)) {
      const next = await this.transition(record.id, async (r) =>
        r.status === 'pending' ? { ...r, status: 'expired' as const, decidedOn: iso(now) } : undefined,
      );
      if (next) await this.close(next, { id: 'system', name: 'system' }, 'expire', {});
      return next ?? (await this.find(record.id));
    }
    const stuck = now - Date.parse(record.claimedOn ?? record.decidedOn ?? record.createdOn) > STUCK_MS;
    if (record.status === 'approved' || (record.status === 'executing' && !record.operationId && stuck)) {
      await this.execute(record.id, record.status === 'executing');
      return this.find(record.id);
    }
    if (record.status === 'executing' && record.operationId) {
      const op = await this.deps.client.getOperation(record.operationId);
      if (op.status === 'Succeeded' || op.status === 'Failed') {
        const status = op.status === 'Succeeded' ? ('succeeded' as const) : ('failed' as const);
        const next = await this.transition(record.id, async (r) =>
          r.status === 'executing'
            ? { ...r, status, result: { status: op.status, ...(op.error ? { message: op.error.message } : {}) } }
            : undefined,
        );
        if (next)
          await this.close(next, { id: 'system', name: 'system' }, 'result', { operationStatus: op.status }, false);
        return next ?? (await this.find(record.id));
      }
    }
    return record;
  }

  /** Executes an approved request once; `resume` retries one whose executor died mid-way. */
  private async execute(id: string, resume = false): Promise<Reply | undefined> {
    const now = this.deps.clock.now();
    // Each claim stamps its time, so of concurrent resumers of a stuck execution only one wins.
    const stale = (r: ApprovalRecord) => now - Date.parse(r.claimedOn ?? r.decidedOn ?? r.createdOn) > STUCK_MS;
    const claimed = await this.transition(id, async (r) =>
      r.status === 'approved' || (resume && r.status === 'executing' && !r.operationId && stale(r))
        ? { ...r, status: 'executing' as const, claimedOn: iso(now) }
        : undefined,
    );
    if (!claimed) return undefined;
    linkActiveSpan(claimed.traceparent);
    const change = this.deps.sealer.unseal<Change>(claimed.sealed);
    const actor = claimed.requester;
    try {
      const roles = await this.deps.policy.rolesOf(actor.objectId);
      if (this.deps.policy.current() && !REQUESTER_ROLES.some((r) => roles.includes(r))) {
        throw new AppError(
          ErrorCode.Forbidden,
          `${actor.name ?? actor.objectId} no longer holds a role that may request changes; the request does not run.`,
        );
      }
      const reply = await runChange(this.deps.client, change, actor, `approval-${id}`);
      if (reply.kind !== 'operation') return reply;
      const done = await this.transition(id, async (r) => ({ ...r, operationId: reply.operation.id }));
      await this.deps.audit.append({
        ...this.auditBase(claimed, { id: 'system', name: 'system' }),
        action: 'execute',
        operationId: reply.operation.id,
      });
      const title = `${operationTitle(reply.operation)} (approved)`;
      if (done?.messageId && done.conversation.key) {
        await this.deps.updater.update(done.conversation.key, done.messageId, { ...reply, title });
        await this.deps.tracker.track(reply.operation, done.conversation.key, done.messageId, title);
      }
      return { ...reply, title };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // The runtime changed while the request waited (deleted, busy, edited): the request fails.
      const failed = await this.transition(id, async (r) => ({
        ...r,
        status: 'failed' as const,
        result: { status: 'Failed', message: error.message },
      }));
      if (failed) await this.close(failed, { id: 'system', name: 'system' }, 'result', { error: error.message });
      return failed ? this.view(failed, { id: claimed.requester.objectId }) : undefined;
    }
  }

  /** Why this user may not vote on this request, or undefined when they may. */
  private async voteDenial(record: ApprovalRecord, user: ChatUser): Promise<string | undefined> {
    if (record.status !== 'pending') return `This request is already ${record.status}; votes are closed.`;
    if (sameUser(record.requester.objectId, user.id))
      return 'You cannot approve or reject your own request; another approver has to.';
    if (!(await this.deps.policy.hasRole(user.id, record.approverRole)))
      return `Only people with the ${record.approverRole} role can decide this request.`;
    if (record.votes.some((v) => sameUser(v.objectId, user.id)))
      return 'You already approved this request; one vote per approver.';
    return undefined;
  }

  private async deny(record: ApprovalRecord, user: ChatUser, reason: string): Promise<Reply> {
    await this.deps.audit.append({ ...this.auditBase(record, user), action: 'deny', details: { reason } });
    return { kind: 'error', text: text(reason) };
  }

  private async close(
    record: ApprovalRecord,
    user: ChatUser,
    action: 'reject' | 'cancel' | 'expire' | 'result',
    details: Record<string, unknown>,
    update = true,
  ): Promise<void> {
    await this.deps.audit.append({ ...this.auditBase(record, user), action, details });
    if (!['pending', 'approved', 'executing'].includes(record.status)) await this.open.delete(record.id);
    if (update) await this.broadcast(record);
  }

  /** Updates the request's card for everyone in its conversation. */
  private async broadcast(record: ApprovalRecord): Promise<void> {
    if (!record.messageId || !record.conversation.key) return;
    const reply = await this.view(record, { id: '' });
    await this.deps.updater
      .update(record.conversation.key, record.messageId, reply)
      .catch((error) => this.deps.log.warn('approval card update failed', { approvalId: record.id, error }));
  }

  /** The card's view model; an empty viewer id renders the card everyone sees. */
  async view(record: ApprovalRecord, user: ChatUser, notice?: string): Promise<Reply> {
    const approvers = (await this.deps.policy.people(record.approverRole)).filter(
      (p) => !sameUser(p.objectId, record.requester.objectId),
    );
    const viewer: ApprovalViewer = user.id
      ? {
          objectId: user.id,
          canVote: !(await this.voteDenial(record, user)),
          canCancel: record.status === 'pending' && sameUser(record.requester.objectId, user.id),
        }
      : { objectId: '', canVote: record.status === 'pending', canCancel: record.status === 'pending' };
    const { sealed: _sealed, ...shown } = record;
    const personalViewUserIds =
      record.status === 'pending'
        ? await this.deps.people.channelIds([record.requester.objectId, ...approvers.map((p) => p.objectId)])
        : [];
    return {
      kind: 'approval',
      approval: shown,
      viewer,
      approvers,
      personalViewUserIds,
      ...(notice ? { notice: text(notice) } : {}),
    };
  }

  private async find(id: string): Promise<ApprovalRecord> {
    const clean = id.trim().toUpperCase();
    const record = /^[A-Z0-9]{4,12}$/.test(clean) ? await this.requests.get(clean) : undefined;
    if (!record)
      throw notFound(`There is no approval request ${id.slice(0, 20)}. Say \`approvals\` to see the pending ones.`);
    return record;
  }

  /** An eTag-guarded transition; undefined when the mutator declines (the state moved on). */
  private transition(id: string, mutate: (r: ApprovalRecord) => Promise<ApprovalRecord | undefined>) {
    const busy = () =>
      new AppError(ErrorCode.Conflict, 'Too many people are acting on this request at once; try again.');
    return this.requests.transition(id, mutate, busy);
  }

  private auditBase(record: ApprovalRecord, user: ChatUser) {
    return {
      actor: { id: user.id, ...(user.name ? { name: user.name } : {}) },
      runtime: record.runtimeName,
      kind: record.kind,
      approvalId: record.id,
      conversation: { id: record.conversation.id, type: record.conversation.type },
      ...(record.operationId ? { operationId: record.operationId } : {}),
    };
  }
}

/** Object ids are GUIDs, compared case-insensitively as the policy compares them; ids keep their case when stored. */
function sameUser(a: string, b: string): boolean {
  return normaliseObjectId(a) === normaliseObjectId(b);
}

function person(user: ChatUser) {
  return { objectId: user.id, ...(user.name ? { name: user.name } : {}) };
}

/** Short ids people can type: `approve K7Q2XM`. */
function newId(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  return [...randomBytes(6)].map((b) => alphabet[b % alphabet.length]).join('');
}
