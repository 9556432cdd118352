/** The approval card: what will change, who asked, who may decide, the votes, and the buttons the viewer may use. */
import type { Reply } from '../../../../core/replies';
import { type AdaptiveCard, clip } from '../render';
import { cardTime, kindLabel, renderWithin, safeText } from './common';
import { plainText } from '../../../../core/text';

export interface ApprovalCardData {
  id: string;
  title: string;
  state: string;
  stateColor: string;
  meta: string;
  notice: string;
  changes: { field: string; before: string; arrow: string; after: string }[];
  warnings: string[];
  rule: string;
  mentionLine: string;
  mentions: { text: string; id: string; name: string }[];
  votes: string[];
  rejection: string;
  canVote: boolean;
  canCancel: boolean;
  refreshUserIds: string[];
  footer: string;
}

const STATES: Record<string, { text: string; color: string }> = {
  pending: { text: 'Waiting for approval', color: 'Warning' },
  approved: { text: 'Approved', color: 'Good' },
  executing: { text: 'Approved · running', color: 'Good' },
  succeeded: { text: 'Approved · done', color: 'Good' },
  failed: { text: 'Approved · failed', color: 'Attention' },
  rejected: { text: 'Rejected', color: 'Attention' },
  expired: { text: 'Expired', color: 'Attention' },
  cancelled: { text: 'Cancelled', color: 'Default' },
};

export function approvalCard(reply: Extract<Reply, { kind: 'approval' }>): AdaptiveCard {
  const a = reply.approval;
  const state = STATES[a.status] ?? { text: a.status, color: 'Default' };
  const pending = a.status === 'pending';
  return renderWithin('approval', (scale) => {
    const max = (n: number) => Math.max(20, Math.floor(n * scale));
    const mentions = pending
      ? reply.approvers.slice(0, 20).map((p) => ({
          id: p.objectId,
          name: safeText(p.name ?? p.objectId, 80),
          text: `<at>${safeText(p.name ?? p.objectId, 80)}</at>`,
        }))
      : [];
    return {
      id: a.id,
      title: `${kindLabel(a.kind)} ${safeText(a.runtimeName, max(80))}: approval ${a.id}`,
      state: state.text,
      stateColor: state.color,
      meta: ` · requested by ${safeText(a.requester.name ?? a.requester.objectId, 80)}`,
      notice: safeText(plainText(reply.notice ?? []), max(400), ''),
      changes: a.changes.slice(0, 12).map((c) => ({
        field: safeText(c.field, 60),
        before: c.before ? safeText(c.before, max(600)) : '',
        arrow: c.before ? ' → ' : '',
        after: safeText(c.after, max(1500)),
      })),
      warnings: a.warnings.slice(0, 5).map((w) => safeText(w, max(300))),
      rule: pending
        ? `Needs ${a.approvalsRequired} approval${a.approvalsRequired === 1 ? '' : 's'} from the ${a.approverRole} role · expires ${cardTime(a.expiresAt)}`
        : `Needed ${a.approvalsRequired} approval${a.approvalsRequired === 1 ? '' : 's'} from the ${a.approverRole} role`,
      mentionLine: mentions.length ? `Approvers: ${mentions.map((m) => m.text).join(', ')}` : '',
      mentions,
      votes: a.votes.map((v) => `Approved by ${safeText(v.name ?? v.objectId, 80)}`),
      rejection: a.rejection
        ? `Rejected by ${safeText(a.rejection.by.name ?? a.rejection.by.objectId, 80)}: ${safeText(a.rejection.reason, max(500))}`
        : '',
      canVote: reply.viewer.canVote,
      canCancel: reply.viewer.canCancel,
      refreshUserIds: (reply.personalViewUserIds ?? []).slice(0, 60),
      footer: `Request ${a.id}${a.operationId ? ` · operation ${a.operationId}` : ''}${a.result?.message ? ` · ${clip(a.result.message, 200)}` : ''}`,
    } satisfies ApprovalCardData;
  });
}
