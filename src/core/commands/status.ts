import type { Command } from './types';
import { allowFlags } from './types';

export const statusCommand: Command = {
  name: 'status',
  aliases: ['show', 'get'],
  summary: 'One runtime in detail, or with no name the on-call summary: what is failing, outdated, changing.',
  usage: 'status [name]',
  examples: ['status', 'status chat-dev'],
  sideEffects: false,
  async run(ctx) {
    allowFlags(ctx, []);
    const name = ctx.args.args[0];
    if (name) {
      const { runtime } = await ctx.deps.client.getRuntime(name);
      return {
        kind: 'runtimeDetail',
        runtime,
        actions: await ctx.deps.permissions.actionsFor(ctx.request.user, runtime),
      };
    }
    return { kind: 'summary', summary: await ctx.deps.client.summary() };
  },
};
