import type { Command } from './types';
import { allowFlags } from './types';

export const approvalsCommand: Command = {
  name: 'approvals',
  aliases: ['pending'],
  summary: 'The approval requests waiting for a decision.',
  usage: 'approvals',
  examples: ['approvals'],
  sideEffects: false,
  async run(ctx) {
    allowFlags(ctx, []);
    const pending = (await ctx.deps.approvals.pending()).map(({ sealed: _sealed, ...shown }) => shown);
    return { kind: 'approvals', pending };
  },
};
