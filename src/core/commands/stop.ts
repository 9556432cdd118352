import type { Command } from './types';
import { allowFlags, runtimeNameArg } from './types';

export const stopCommand: Command = {
  name: 'stop',
  aliases: ['delete'],
  summary: 'Stop (delete) a runtime; its compute goes too when nothing else uses it.',
  usage: 'stop <name>',
  examples: ['stop rag-eval'],
  sideEffects: true,
  async run(ctx) {
    const name = runtimeNameArg(ctx);
    allowFlags(ctx, []);
    const op = await ctx.deps.client.runAction(name, 'stop', ctx.actor, ctx.idempotencyKey);
    return { kind: 'operation', operation: op, title: `Stopping ${op.runtimeName}` };
  },
};
