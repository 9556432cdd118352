/** Lets a card action reuse a command: the same logic, whether typed or clicked. */

import { COMMANDS } from '../commands/registry';
import type { CommandContext } from '../commands/types';
import type { ActionContext } from './types';

export function asCommand(
  ctx: ActionContext,
  args: string[],
  flags: Record<string, string | true> = {},
): CommandContext {
  return {
    request: {
      user: ctx.request.user,
      conversation: ctx.request.conversation,
      text: '',
      attachments: [],
      correlationId: ctx.request.correlationId,
      receivedAt: ctx.request.receivedAt,
    },
    args: { verb: '', args, flags, rest: args.join(' '), prefixed: false },
    actor: ctx.actor,
    deps: ctx.deps,
    idempotencyKey: ctx.idempotencyKey,
    commands: COMMANDS,
  };
}
