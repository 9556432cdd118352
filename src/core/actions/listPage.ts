import { Verb } from './verbs';
import { listCommand } from '../commands/list';
import { asCommand } from './asCommand';
import type { CardAction } from './types';
import { field } from './types';

/** Previous/next on the runtime list: the `list` command with the card's page and filters. */
export const listPageAction: CardAction = {
  verb: Verb.ListPage,
  sideEffects: false,
  async run(ctx) {
    const flags: Record<string, string> = {};
    for (const name of ['page', 'status', 'type']) {
      const value = field(ctx, name);
      if (value) flags[name] = value;
    }
    return first(await listCommand.run(asCommand(ctx, [], flags)));
  },
};

function first<T>(result: T | T[]): T {
  return Array.isArray(result) ? result[0] : result;
}
