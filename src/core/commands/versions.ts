import { retirementStatus } from '../retirement/calendar';
import type { Command } from './types';
import { allowFlags } from './types';

export const versionsCommand: Command = {
  name: 'versions',
  aliases: ['version', 'check'],
  summary:
    "The latest base image and the outdated runtimes, or one runtime's version. The images are frozen: prompt flow is retiring.",
  usage: 'versions [name]',
  examples: ['versions', 'versions prod-chat'],
  sideEffects: false,
  async run(ctx) {
    allowFlags(ctx, []);
    const retirement = retirementStatus(ctx.deps.retirement, ctx.deps.clock.now());
    const name = ctx.args.args[0];
    if (name) return { kind: 'versionCheck', check: await ctx.deps.client.checkVersion(name), retirement };
    const report = await ctx.deps.client.versions();
    const first = report.outdated[0];
    const canUpgrade =
      first !== undefined &&
      (
        await ctx.deps.permissions.actionsFor(ctx.request.user, {
          name: first.name,
          type: first.type,
          status: 'Running',
          outdated: true,
        })
      ).includes('upgrade');
    return { kind: 'versions', report, canUpgrade, retirement };
  },
};
