import { Verb } from './verbs';
import { helpCommand } from '../commands/help';
import { asCommand } from './asCommand';
import type { CardAction } from './types';
import { field } from './types';

/** Help for one command, from the help card's buttons. */
export const showHelpAction: CardAction = {
  verb: Verb.ShowHelp,
  sideEffects: false,
  async run(ctx) {
    const command = field(ctx, 'command');
    const result = await helpCommand.run(asCommand(ctx, command ? [command] : []));
    return Array.isArray(result) ? result[0] : result;
  },
};
