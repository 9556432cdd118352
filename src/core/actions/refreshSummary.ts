import { Verb } from '../../cards/verbs';
import { buildSummary } from '../summary';
import type { CardAction } from './types';

/** The on-call summary, fresh. */
export const refreshSummaryAction: CardAction = {
  verb: Verb.RefreshSummary,
  sideEffects: false,
  async run(ctx) {
    return { kind: 'summary', summary: buildSummary(await ctx.deps.client.allRuntimes(), ctx.deps.clock.now()) };
  },
};
