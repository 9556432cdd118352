/**
 * What everyone learns when a request moves: an audit entry, and its card updated in place for
 * the whole conversation. A closed request also leaves the open index.
 */
import type { Logger } from '../../logger';
import type { AuditAction, AuditLog } from '../audit/auditLog';
import type { ChatUser } from '../request';
import type { MessageUpdater } from '../tracking/tracker';
import type { ApprovalRecord } from './model';
import type { ApprovalStore } from './store';
import type { ApprovalView } from './view';

export class ApprovalBroadcast {
  constructor(
    private readonly store: ApprovalStore,
    private readonly view: ApprovalView,
    private readonly audit: AuditLog,
    private readonly updater: MessageUpdater,
    private readonly log: Logger,
  ) {}

  /** Records the act in the audit trail, attributed to `user`. */
  async record(
    record: ApprovalRecord,
    user: ChatUser,
    action: AuditAction,
    extra: { details?: Record<string, unknown>; operationId?: string } = {},
  ): Promise<void> {
    await this.audit.append({ ...auditBase(record, user), action, ...extra });
  }

  /**
   * A request moved to where it ends (or stays, for a result): audit, index, and the card for
   * everyone unless the card already shows the operation (`updateCard` false).
   */
  async close(
    record: ApprovalRecord,
    user: ChatUser,
    action: 'reject' | 'cancel' | 'expire' | 'result',
    details: Record<string, unknown>,
    updateCard = true,
  ): Promise<void> {
    await this.record(record, user, action, { details });
    await this.store.closeIfDone(record);
    if (updateCard) await this.card(record);
  }

  /** Updates the request's card for everyone in its conversation; a failure is logged, never thrown. */
  async card(record: ApprovalRecord): Promise<void> {
    if (!record.messageId || !record.conversation.key) return;
    const reply = await this.view.render(record, { id: '' });
    await this.updater
      .update(record.conversation.key, record.messageId, reply)
      .catch((error) => this.log.warn('approval card update failed', { approvalId: record.id, error }));
  }
}

function auditBase(record: ApprovalRecord, user: ChatUser) {
  return {
    actor: { id: user.id, ...(user.name ? { name: user.name } : {}) },
    runtime: record.runtimeName,
    kind: record.kind,
    approvalId: record.id,
    conversation: { id: record.conversation.id, type: record.conversation.type },
    ...(record.operationId ? { operationId: record.operationId } : {}),
  };
}
