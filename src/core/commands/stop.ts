import type { Command } from './types';
import { allowFlags, changeContext, runtimeNameArg } from './types';

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
    return ctx.deps.changes.submit({ kind: 'stop', runtimeName: name, body: {} }, changeContext(ctx));
  },
};
