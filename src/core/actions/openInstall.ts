import { Verb } from './verbs';
import { installFormFor } from '../forms';
import type { CardAction } from './types';
import { requiredField } from './types';

/** Opens the install form, prefilled with the runtime's saved requirements. */
export const openInstallAction: CardAction = {
  verb: Verb.OpenInstall,
  sideEffects: false,
  run: (ctx) => installFormFor(ctx.deps.client, requiredField(ctx, 'name')),
};
