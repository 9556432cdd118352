import { Verb } from './verbs';
import type { CardAction } from './types';
import { requiredField } from './types';

/** Details of one runtime (also the detail card's Refresh). */
export const viewRuntimeAction: CardAction = {
  verb: Verb.ViewRuntime,
  sideEffects: false,
  async run(ctx) {
    const { runtime } = await ctx.deps.client.getRuntime(requiredField(ctx, 'name'));
    return {
      kind: 'runtimeDetail',
      runtime,
      actions: await ctx.deps.permissions.actionsFor(ctx.request.user, runtime),
    };
  },
};
