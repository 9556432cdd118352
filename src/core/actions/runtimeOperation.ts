/** Shared by the reset, stop and upgrade buttons: submit, and answer with the progress card. */
import type { Reply } from '../replies';
import { type ActionContext, changeContext } from './types';
import { requiredField } from './types';

export async function runRuntimeOperation(ctx: ActionContext, action: 'reset' | 'stop' | 'upgrade'): Promise<Reply> {
  const name = requiredField(ctx, 'name');
  return ctx.deps.changes.submit({ kind: action, runtimeName: name, body: {} }, changeContext(ctx));
}
