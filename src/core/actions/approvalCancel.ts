import { Verb } from './verbs';
import type { CardAction } from './types';
import { requiredField } from './types';

/** The requester withdraws the request. */
export const approvalCancelAction: CardAction = {
  verb: Verb.CancelApproval,
  sideEffects: true,
  run: (ctx) => ctx.deps.approvals.cancel(requiredField(ctx, 'approvalId'), ctx.request.user),
};
