import { Verb } from './verbs';
import { editFormFor } from '../forms';
import type { CardAction } from './types';
import { requiredField } from './types';

/** Opens the edit form with the runtime's current settings. */
export const openEditAction: CardAction = {
  verb: Verb.OpenEdit,
  sideEffects: false,
  run: (ctx) => editFormFor(ctx.deps.client, requiredField(ctx, 'name')),
};
