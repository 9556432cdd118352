import { Verb } from './verbs';
import { summaryReply } from '../commands/status';
import type { CardAction } from './types';

/** The on-call summary, fresh. */
export const refreshSummaryAction: CardAction = {
  verb: Verb.RefreshSummary,
  sideEffects: false,
  run: (ctx) => summaryReply(ctx.deps),
};
