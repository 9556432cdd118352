/** Shared by the reset, stop and upgrade buttons: submit, and answer with the progress card. */
import type { Reply } from '../replies';
import type { ActionContext } from './types';
import { requiredField } from './types';

const TITLES = { reset: 'Resetting', stop: 'Stopping', upgrade: 'Upgrading' } as const;

export async function runRuntimeOperation(ctx: ActionContext, action: keyof typeof TITLES): Promise<Reply> {
  const name = requiredField(ctx, 'name');
  const operation = await ctx.deps.client.runAction(name, action, ctx.actor, ctx.idempotencyKey);
  return { kind: 'operation', operation, title: `${TITLES[action]} ${operation.runtimeName}` };
}
