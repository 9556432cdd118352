import { Verb } from './verbs';
import { runRuntimeOperation } from './runtimeOperation';
import type { CardAction } from './types';

/** The reset button of the detail, version and notification cards. */
export const resetAction: CardAction = {
  verb: Verb.Reset,
  sideEffects: true,
  run: (ctx) => runRuntimeOperation(ctx, 'reset'),
};
