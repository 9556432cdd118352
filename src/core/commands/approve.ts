import type { Command } from './types';
import { allowFlags, usageError } from './types';

export const approveCommand: Command = {
  name: 'approve',
  aliases: [],
  summary: 'Approve a pending request (approvers only; never your own).',
  usage: 'approve <request id>',
  examples: ['approve K7Q2XM'],
  sideEffects: true,
  async run(ctx) {
    allowFlags(ctx, []);
    const id = ctx.args.args[0];
    if (!id) throw usageError('Which request? Say `approvals` to see their ids.');
    return ctx.deps.approvals.approve(id, ctx.request.user);
  },
};
