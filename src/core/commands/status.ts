import { retirementStatus } from '../retirement/calendar';
import type { Reply } from '../replies';
import { allowFlags, type Command, type CommandDeps } from './types';

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
    return summaryReply(ctx.deps);
  },
};

/** The on-call summary with the retirement line: days left, runtimes still there. */
export async function summaryReply(deps: Pick<CommandDeps, 'client' | 'clock' | 'retirement'>): Promise<Reply> {
  const summary = await deps.client.summary();
  return { kind: 'summary', summary, retirement: retirementStatus(deps.retirement, deps.clock.now(), summary.total) };
}
