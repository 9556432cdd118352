import type { Command } from './types';
import { allowFlags, changeContext, runtimeNameArg } from './types';

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
    return ctx.deps.changes.submit({ kind: 'upgrade', runtimeName: name, body: {} }, changeContext(ctx));
  },
};
