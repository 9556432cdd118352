import { Verb } from './verbs';
import type { CardAction } from './types';
import { field, requiredField } from './types';

/** Rejects a request with the reason typed on the card. */
export const approvalRejectAction: CardAction = {
  verb: Verb.Reject,
  sideEffects: true,
  run: (ctx) =>
    ctx.deps.approvals.reject(requiredField(ctx, 'approvalId'), ctx.request.user, field(ctx, 'reason') ?? ''),
};
