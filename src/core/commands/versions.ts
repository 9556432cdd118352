import type { Command } from './types';
import { allowFlags } from './types';

export const versionsCommand: Command = {
  name: 'versions',
  aliases: ['version', 'check'],
  summary: 'The latest base image and the outdated runtimes, or with a name: is that runtime up to date?',
  usage: 'versions [name]',
  examples: ['versions', 'versions prod-chat'],
  sideEffects: false,
  async run(ctx) {
    allowFlags(ctx, []);
    const name = ctx.args.args[0];
    if (name) return { kind: 'versionCheck', check: await ctx.deps.client.checkVersion(name) };
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
    return { kind: 'versions', report, canUpgrade };
  },
};
