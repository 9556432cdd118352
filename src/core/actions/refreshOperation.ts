import { Verb } from './verbs';
import { operationTitle } from '../operationTitle';
import type { CardAction } from './types';
import { requiredField } from './types';

/** The progress card's Refresh: the operation as it is now. */
export const refreshOperationAction: CardAction = {
  verb: Verb.RefreshOperation,
  sideEffects: false,
  async run(ctx) {
    const operation = await ctx.deps.client.getOperation(requiredField(ctx, 'operationId'));
    return { kind: 'operation', operation, title: operationTitle(operation) };
  },
};
