import type { Command } from './types';
import { allowFlags, intFlag, usageError } from './types';
import { text } from '../text';

const EXPORT_LIMIT = 20_000;

export const auditCommand: Command = {
  name: 'audit',
  aliases: ['history'],
  summary: 'The audit trail: requests, votes, executions, denials and role changes; --export gives JSON lines.',
  usage: 'audit [runtime] [--limit N] [--export]',
  examples: ['audit', 'audit prod-chat', 'audit --export'],
  sideEffects: false,
  async run(ctx) {
    allowFlags(ctx, ['limit', 'export']);
    const { policy, audit } = ctx.deps;
    if (policy.current() && (await policy.rolesOf(ctx.request.user.id)).length === 0) {
      return { kind: 'error', text: text('You need a role in the policy to read the audit trail.') };
    }
    const runtime = ctx.args.args[0];
    if (ctx.args.flags.export !== undefined) {
      // The whole trail goes through `npm run audit-export`; chat gets the newest lines that fit.
      const lines: string[] = [];
      let size = 0;
      const wanted = runtime?.toLowerCase();
      for await (const line of audit.export()) {
        if (wanted && (JSON.parse(line) as { runtime?: string }).runtime?.toLowerCase() !== wanted) continue;
        lines.push(line);
        size += line.length + 1;
        while (size > EXPORT_LIMIT && lines.length > 1) size -= (lines.shift() ?? '').length + 1;
      }
      return { kind: 'audit', entries: [], export: lines.join('\n'), ...(runtime ? { runtime } : {}) };
    }
    const limit = intFlag(ctx, 'limit') ?? 20;
    if (limit < 1 || limit > 100) throw usageError('--limit must be from 1 to 100.');
    return {
      kind: 'audit',
      entries: await audit.recent({ limit, ...(runtime ? { runtime } : {}) }),
      ...(runtime ? { runtime } : {}),
    };
  },
};
