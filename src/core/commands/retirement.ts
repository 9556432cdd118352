import type { Runtime } from '../../domain/runtime';
import { retirementStatus } from '../retirement/calendar';
import { byIdleness, countSteps, type InventoryRow, inventoryRow } from '../retirement/inventory';
import type { Command, CommandContext } from './types';
import { allowFlags, intFlag, usageError } from './types';

/** Rows of one card page: 15 rows with their Stop buttons stay well under 28 KB. */
export const RETIREMENT_PAGE_SIZE = 15;
/** Lines of one export page: a chat message stays under Teams' size limit. */
export const EXPORT_PAGE_SIZE = 50;

export const retirementCommand: Command = {
  name: 'retirement',
  aliases: ['retire', 'migration'],
  summary:
    'Prompt flow retires: every runtime with its owner, idle time and next step (stop, export, move to Agent Framework).',
  usage: 'retirement [--page N] [--export]',
  examples: ['retirement', 'retirement --page 2', 'retirement --export'],
  sideEffects: false,
  async run(ctx) {
    allowFlags(ctx, ['page', 'export']);
    const page = intFlag(ctx, 'page') ?? 1;
    if (page < 1) throw usageError('--page starts at 1.');
    const now = ctx.deps.clock.now();
    const retirement = retirementStatus(ctx.deps.retirement, now);
    const runtimes = await ctx.deps.client.allRuntimes();
    const rows = runtimes.map((r) => inventoryRow(r, now, retirement.phase)).sort(byIdleness);
    const exporting = ctx.args.flags.export !== undefined;
    const size = exporting ? EXPORT_PAGE_SIZE : RETIREMENT_PAGE_SIZE;
    const pages = Math.max(1, Math.ceil(rows.length / size));
    if (page > pages) throw usageError(`There ${pages === 1 ? 'is only 1 page' : `are only ${pages} pages`}.`);
    const shown = rows.slice((page - 1) * size, page * size);
    if (exporting) return { kind: 'retirementExport', lines: shown.map(exportLine), page, pages, total: rows.length };
    return {
      kind: 'retirement',
      retirement: { ...retirement, runtimes: rows.length },
      rows: shown,
      steps: countSteps(rows),
      stoppable: await stoppable(ctx, shown, runtimes),
      page,
      pages,
      total: rows.length,
    };
  },
};

/** The shown runtimes this viewer may stop (the approval rules still apply when they do). */
async function stoppable(ctx: CommandContext, rows: InventoryRow[], runtimes: Runtime[]): Promise<string[]> {
  const byName = new Map(runtimes.map((r) => [r.name, r]));
  const allowed = await Promise.all(
    rows.map(async (row) => {
      const runtime = byName.get(row.name);
      if (!runtime || row.busy) return false;
      return (await ctx.deps.permissions.actionsFor(ctx.request.user, runtime)).includes('stop');
    }),
  );
  return rows.filter((_, i) => allowed[i]).map((row) => row.name);
}

/** One runtime as a JSON line: stable field names, for a spreadsheet or a script. */
function exportLine(row: InventoryRow): string {
  return JSON.stringify({
    name: row.name,
    type: row.type,
    status: row.status,
    owner: row.owner.name ?? null,
    ownerObjectId: row.owner.objectId,
    lastUsedOn: row.lastUsedOn ?? null,
    idleSince: row.idleSince,
    idleDays: row.idleDays,
    nextStep: row.next,
    advice: row.advice,
    imageVersion: row.imageVersion ?? null,
  });
}
