import { runtimeTypeOf } from './runtimeTypes';
import type { Command } from './types';
import { allowFlags, flag, intFlag, usageError } from './types';

const PAGE_SIZE = 15;

export const listCommand: Command = {
  name: 'list',
  aliases: ['ls'],
  summary: 'List the runtimes, optionally by status or type.',
  usage: 'list [--status Running|Failed|…] [--type session|ci|deployment] [--page N]',
  examples: ['list', 'list --status Failed', 'list --type session', 'list --page 2'],
  sideEffects: false,
  async run(ctx) {
    allowFlags(ctx, ['status', 'type', 'page']);
    const status = flag(ctx, 'status');
    const type = flag(ctx, 'type');
    // `session` (today's name) and the API's `automatic` find the same runtimes.
    const wantedType = type && (runtimeTypeOf(type) ?? type).toLowerCase();
    const page = intFlag(ctx, 'page') ?? 1;
    if (page < 1) throw usageError('--page starts at 1.');
    const all = (await ctx.deps.client.allRuntimes())
      .filter((r) => !status || r.status.toLowerCase() === status.toLowerCase())
      .filter((r) => !wantedType || r.type.toLowerCase() === wantedType);
    const pages = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
    if (page > pages) throw usageError(`There ${pages === 1 ? 'is only 1 page' : `are only ${pages} pages`}.`);
    const filter = [status && `status ${status}`, type && `type ${type}`].filter(Boolean).join(', ') || undefined;
    return {
      kind: 'runtimeList',
      runtimes: all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE),
      page,
      pages,
      total: all.length,
      ...(filter ? { filter } : {}),
      ...(status ? { status } : {}),
      ...(type ? { type } : {}),
    };
  },
};
