import type { Command } from './types';
import { allowFlags, changeContext, runtimeNameArg } from './types';

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
    return ctx.deps.changes.submit({ kind: 'reset', runtimeName: name, body: {} }, changeContext(ctx));
  },
};
