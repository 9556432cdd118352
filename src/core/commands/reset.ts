import type { Command } from './types';
import { allowFlags, runtimeNameArg } from './types';

export const resetCommand: Command = {
  name: 'reset',
  aliases: ['restart'],
  summary:
    'Delete a runtime and recreate it with the same environment; fixes package conflicts and picks up a new base image.',
  usage: 'reset <name>',
  examples: ['reset chat-dev'],
  sideEffects: true,
  async run(ctx) {
    const name = runtimeNameArg(ctx);
    allowFlags(ctx, []);
    const op = await ctx.deps.client.runAction(name, 'reset', ctx.actor, ctx.idempotencyKey);
    return { kind: 'operation', operation: op, title: `Resetting ${op.runtimeName}` };
  },
};
