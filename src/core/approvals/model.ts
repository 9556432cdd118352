/** An approval request and its state machine: pending → approved → executing → succeeded | failed, or rejected, expired, cancelled. */
import type { OperationKind, Person } from '../../domain/runtime';
import type { Role } from '../policy/policy';

export type ApprovalStatus =
  'pending' | 'approved' | 'executing' | 'succeeded' | 'failed' | 'rejected' | 'expired' | 'cancelled';

/** Requests still in the open index: not yet decided, or approved and not yet finished. */
export const OPEN_STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'executing'];

export interface ApprovalChange {
  field: string;
  before: string;
  after: string;
}

export interface ApprovalRecord {
  id: string;
  status: ApprovalStatus;
  kind: OperationKind;
  runtimeName: string;
  /** The change to execute, sealed: it may hold a feed token. */
  sealed: string;
  /** What will change, redacted, for the card. */
  changes: ApprovalChange[];
  warnings: string[];
  requester: Person;
  conversation: { id: string; type: string; key?: string };
  messageId?: string;
  approvalsRequired: number;
  approverRole: Role;
  ruleLine: number;
  votes: { objectId: string; name?: string; at: string }[];
  rejection?: { by: Person; reason: string; at: string };
  cancelledBy?: Person;
  createdOn: string;
  expiresAt: string;
  decidedOn?: string;
  /** When an executor claimed it; a claim older than a minute may be taken over. */
  claimedOn?: string;
  operationId?: string;
  result?: { status: string; message?: string };
  /** W3C traceparent of the turn that asked: the turn that executes it links back to it. */
  traceparent?: string;
}

/** What a viewer may do with a request: the card shows only those buttons. */
export interface ApprovalViewer {
  objectId: string;
  canVote: boolean;
  canCancel: boolean;
}
