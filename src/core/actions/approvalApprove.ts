import { Verb } from './verbs';
import type { CardAction } from './types';
import { requiredField } from './types';

/** Approves a request; the last vote that meets the quorum executes the change, once. */
export const approvalApproveAction: CardAction = {
  verb: Verb.Approve,
  sideEffects: true,
  run: (ctx) => ctx.deps.approvals.approve(requiredField(ctx, 'approvalId'), ctx.request.user),
};
