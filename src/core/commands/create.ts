import type { CreateRuntimeRequest, Identity } from '../../domain/runtime';
import { createFormOptions } from '../forms';
import { quoted } from '../userText';
import { runtimeTypeOf, TYPE_CHOICES } from './runtimeTypes';
import type { Command, CommandContext } from './types';
import { allowFlags, changeContext, flag, intFlag, runtimeNameArg, usageError } from './types';

export const createCommand: Command = {
  name: 'create',
  aliases: ['new'],
  summary:
    'Create a runtime: a compute session (automatic runtime, the default), on a compute instance, or on a managed online deployment. Without options it opens a form.',
  usage:
    'create <name> [--type session] --vm-size <size> [--idle <minutes>] [--identity user|<managed identity>] [--image <base image>]\n' +
    'create <name> --type ci --compute <instance> [--app new|<existing app>] [--env default|<environment>]\n' +
    'create <name> --type deployment --endpoint <name> --deployment <name> --instance-type <size> [--instance-count N]',
  examples: [
    'create my-flow --vm-size Standard_E4ds_v4 --idle 120',
    'create ci-rt --type ci --compute ci-alex --app new',
  ],
  sideEffects: true,
  async run(ctx) {
    // No flags: the form, which offers only valid choices (VM sizes with quota, your own instances).
    if (Object.keys(ctx.args.flags).length === 0) {
      const options = await createFormOptions(ctx.deps.client, ctx.actor);
      return {
        kind: 'createForm',
        form: {
          ...options,
          type: 'automatic',
          values: { name: ctx.args.args[0] ?? '', idleTimeMinutes: '60' },
          errors: {},
        },
      };
    }
    const name = runtimeNameArg(ctx);
    const request = await buildRequest(ctx);
    return ctx.deps.changes.submit({ kind: 'create', runtimeName: name, body: { ...request } }, changeContext(ctx));
  },
};

async function buildRequest(ctx: CommandContext): Promise<CreateRuntimeRequest> {
  const typeFlag = flag(ctx, 'type') ?? 'session';
  const type = runtimeTypeOf(typeFlag);
  if (!type) throw usageError(`Unknown runtime type ${quoted(typeFlag, 30)}: use ${TYPE_CHOICES}.`);
  const description = flag(ctx, 'description');
  if (type === 'automatic') {
    allowFlags(ctx, ['type', 'vm-size', 'idle', 'identity', 'image', 'description']);
    const vmSize = flag(ctx, 'vm-size');
    if (!vmSize)
      throw usageError(
        'A compute session (automatic runtime) needs --vm-size (for example Standard_E4ds_v4). Say `help create`.',
      );
    const idle = intFlag(ctx, 'idle');
    const image = flag(ctx, 'image');
    return {
      type,
      vmSize,
      ...(idle !== undefined ? { idleTimeMinutes: idle } : {}),
      ...(image ? { baseImage: image } : {}),
      ...(description ? { description } : {}),
      ...(await identityFrom(ctx)),
    };
  }
  if (type === 'computeInstance') {
    allowFlags(ctx, ['type', 'compute', 'app', 'env', 'description']);
    const compute = flag(ctx, 'compute');
    if (!compute) throw usageError('A compute instance runtime needs --compute <instance>. Say `help create`.');
    const app = flag(ctx, 'app') ?? 'new';
    const env = flag(ctx, 'env') ?? 'default';
    return {
      type,
      computeInstanceName: compute,
      customApplication: app.toLowerCase() === 'new' ? { mode: 'new' } : { mode: 'existing', name: app },
      environment: env.toLowerCase() === 'default' ? { mode: 'default' } : { mode: 'customized', name: env },
      ...(description ? { description } : {}),
    };
  }
  allowFlags(ctx, ['type', 'endpoint', 'deployment', 'instance-type', 'instance-count', 'description']);
  const endpointName = flag(ctx, 'endpoint');
  const deploymentName = flag(ctx, 'deployment');
  const instanceType = flag(ctx, 'instance-type');
  if (!endpointName || !deploymentName || !instanceType) {
    throw usageError('A deployment runtime needs --endpoint, --deployment and --instance-type. Say `help create`.');
  }
  const count = intFlag(ctx, 'instance-count');
  return {
    type,
    endpointName,
    deploymentName,
    instanceType,
    ...(count !== undefined ? { instanceCount: count } : {}),
    ...(description ? { description } : {}),
  };
}

/** `--identity user` or a managed identity by name or resource id. */
async function identityFrom(ctx: CommandContext): Promise<{ identity?: Identity }> {
  const value = flag(ctx, 'identity');
  if (!value || value.toLowerCase() === 'user') return {};
  if (value.startsWith('/subscriptions/')) return { identity: { type: 'userAssigned', resourceId: value } };
  const found = (await ctx.deps.client.identities()).find((i) => i.name.toLowerCase() === value.toLowerCase());
  if (!found) throw usageError(`There is no managed identity named ${quoted(value)} in the workspace.`);
  return { identity: { type: 'userAssigned', resourceId: found.resourceId } };
}
