import { Verb } from './verbs';
import { retirementCommand } from '../commands/retirement';
import { asCommand } from './asCommand';
import type { CardAction } from './types';
import { field } from './types';

/** Previous, next and refresh on the retirement inventory: the `retirement` command at the card's page. */
export const retirementPageAction: CardAction = {
  verb: Verb.RetirementPage,
  sideEffects: false,
  async run(ctx) {
    const page = field(ctx, 'page');
    const result = await retirementCommand.run(asCommand(ctx, [], page ? { page } : {}));
    return Array.isArray(result) ? result[0] : result;
  },
};
