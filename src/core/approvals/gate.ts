/**
 * The gate every change passes: run at once, refuse, or wait for approval, as the policy says. A
 * change that waits is checked against the runtime service first, so that approvers never vote on
 * something that cannot run, and is stored sealed (it may hold a feed token).
 */
import { randomBytes } from 'node:crypto';
import type { RuntimeClient } from '../../client/runtimeClient';
import { type Clock, iso } from '../../clock';
import type { Runtime } from '../../domain/runtime';
import { redactSecrets } from '../../domain/secrets';
import type { AuditLog } from '../audit/auditLog';
import { type Change, type ChangeContext, runChange } from '../changes';
import { formatDuration, ruleFor } from '../policy/policy';
import type { PolicyStore } from '../policy/policyStore';
import type { Reply } from '../replies';
import { code, t } from '../text';
import { traceparentField } from '../../telemetry/traceparent';
import { describeChanges } from './describe';
import type { ApprovalRecord } from './model';
import type { Sealer } from './sealer';
import type { ApprovalStore } from './store';
import type { ApprovalView } from './view';
import { mayRequest } from './who';

export interface GateDeps {
  client: RuntimeClient;
  policy: PolicyStore;
  audit: AuditLog;
  clock: Clock;
  sealer: Sealer;
  store: ApprovalStore;
  view: ApprovalView;
}

export class ApprovalGate {
  constructor(private readonly deps: GateDeps) {}

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
    if (!mayRequest(roles)) {
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
    await this.deps.store.create(record);
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
    return this.deps.view.render(record, { id: '' });
  }
}

/** Short ids people can type: `approve K7Q2XM`. */
function newId(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  return [...randomBytes(6)].map((b) => alphabet[b % alphabet.length]).join('');
}
