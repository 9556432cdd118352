import { Verb } from './verbs';
import { runRuntimeOperation } from './runtimeOperation';
import type { CardAction } from './types';

/** The stop button of the detail, version and notification cards. */
export const stopAction: CardAction = {
  verb: Verb.Stop,
  sideEffects: true,
  run: (ctx) => runRuntimeOperation(ctx, 'stop'),
};
