import { Verb } from './verbs';
import type { CardAction } from './types';
import { requiredField } from './types';

/** Shows a request as this user sees it (the card's refresh and its Show my options button). */
export const approvalViewAction: CardAction = {
  verb: Verb.ViewApproval,
  sideEffects: false,
  run: (ctx) => ctx.deps.approvals.show(requiredField(ctx, 'approvalId'), ctx.request.user),
};
