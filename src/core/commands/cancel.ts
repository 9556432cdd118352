import type { Command } from './types';
import { allowFlags, usageError } from './types';

export const cancelCommand: Command = {
  name: 'cancel',
  aliases: ['withdraw'],
  summary: 'Cancel your own pending request.',
  usage: 'cancel <request id>',
  examples: ['cancel K7Q2XM'],
  sideEffects: true,
  async run(ctx) {
    allowFlags(ctx, []);
    const id = ctx.args.args[0];
    if (!id) throw usageError('Which request? Say `approvals` to see their ids.');
    return ctx.deps.approvals.cancel(id, ctx.request.user);
  },
};
