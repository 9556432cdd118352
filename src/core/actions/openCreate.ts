import { Verb } from './verbs';
import { createFormOptions, toRuntimeType } from '../forms';
import type { CardAction } from './types';
import { field } from './types';

/** Opens the create form (automatic by default, as the studio recommends). */
export const openCreateAction: CardAction = {
  verb: Verb.OpenCreate,
  sideEffects: false,
  async run(ctx) {
    const options = await createFormOptions(ctx.deps.client, ctx.actor);
    const name = field(ctx, 'name') ?? '';
    return {
      kind: 'createForm',
      form: {
        ...options,
        type: toRuntimeType(field(ctx, 'type')),
        values: { name, idleTimeMinutes: '60' },
        errors: {},
      },
    };
  },
};
