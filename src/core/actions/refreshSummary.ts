import { Verb } from '../../cards/verbs';
import type { CardAction } from './types';

/** The on-call summary, fresh. */
export const refreshSummaryAction: CardAction = {
  verb: Verb.RefreshSummary,
  sideEffects: false,
  async run(ctx) {
    return { kind: 'summary', summary: await ctx.deps.client.summary() };
  },
};
