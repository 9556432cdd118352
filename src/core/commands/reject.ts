import type { Command } from './types';
import { allowFlags, usageError } from './types';

export const rejectCommand: Command = {
  name: 'reject',
  aliases: ['deny'],
  summary: 'Reject a pending request, with a reason the requester sees.',
  usage: 'reject <request id> <reason>',
  examples: ['reject K7Q2XM not during the release freeze'],
  sideEffects: true,
  async run(ctx) {
    allowFlags(ctx, []);
    const [id, ...words] = ctx.args.args;
    if (!id) throw usageError('Which request? Say `approvals` to see their ids.');
    const reason = words.join(' ');
    if (!reason.trim()) throw usageError('Say why, after the id: the requester sees your reason.');
    return ctx.deps.approvals.reject(id, ctx.request.user, reason);
  },
};
