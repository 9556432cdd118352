import type { Command } from './types';
import { allowFlags, runtimeNameArg } from './types';

export const upgradeCommand: Command = {
  name: 'upgrade',
  aliases: [],
  summary: 'Move a runtime to the latest base image version.',
  usage: 'upgrade <name>',
  examples: ['upgrade prod-chat'],
  sideEffects: true,
  async run(ctx) {
    const name = runtimeNameArg(ctx);
    allowFlags(ctx, []);
    const op = await ctx.deps.client.runAction(name, 'upgrade', ctx.actor, ctx.idempotencyKey);
    return { kind: 'operation', operation: op, title: `Upgrading ${op.runtimeName}` };
  },
};
