import { Verb } from './verbs';
import { runRuntimeOperation } from './runtimeOperation';
import type { CardAction } from './types';

/** The upgrade button of the detail, version and notification cards. */
export const upgradeAction: CardAction = {
  verb: Verb.Upgrade,
  sideEffects: true,
  run: (ctx) => runRuntimeOperation(ctx, 'upgrade'),
};
