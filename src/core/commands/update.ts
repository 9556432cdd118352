import type { UpdateRuntimeRequest } from '../../domain/runtime';
import { editFormFor } from '../forms';
import type { Command } from './types';
import { allowFlags, changeContext, flag, intFlag, runtimeNameArg } from './types';

export const updateCommand: Command = {
  name: 'update',
  aliases: ['edit'],
  summary:
    'Change a runtime: VM size and idle time (compute session), environment (compute instance), instance count (deployment). Without options it opens a form.',
  usage:
    'update <name> [--vm-size <size>] [--idle <minutes>] [--env default|<environment>] [--instance-count N] [--description <text>]',
  examples: ['update chat-dev --idle 240', 'edit ci-alex-runtime --env default'],
  sideEffects: true,
  async run(ctx) {
    const name = runtimeNameArg(ctx);
    allowFlags(ctx, ['vm-size', 'idle', 'env', 'instance-count', 'description']);
    const env = flag(ctx, 'env');
    const idle = intFlag(ctx, 'idle');
    const count = intFlag(ctx, 'instance-count');
    const vmSize = flag(ctx, 'vm-size');
    const description = flag(ctx, 'description');
    const request: UpdateRuntimeRequest = {
      ...(vmSize ? { vmSize } : {}),
      ...(idle !== undefined ? { idleTimeMinutes: idle } : {}),
      ...(count !== undefined ? { instanceCount: count } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(env
        ? { environment: env.toLowerCase() === 'default' ? { mode: 'default' } : { mode: 'customized', name: env } }
        : {}),
    };
    if (Object.keys(request).length === 0) return editFormFor(ctx.deps.client, name); // no options: the form
    // If-Match: the change applies to the runtime as we read it, not as someone else left it since.
    const { eTag } = await ctx.deps.client.getRuntime(name);
    return ctx.deps.changes.submit(
      { kind: 'update', runtimeName: name, body: { ...request }, ...(eTag ? { ifMatch: eTag } : {}) },
      changeContext(ctx),
    );
  },
};
