import { retirementStatus } from '../retirement/calendar';
import type { Reply } from '../replies';
import { quotedWords } from '../userText';
import { suggest } from './parse';
import { type Command, type CommandDeps, toHelp } from './types';
import { code, t } from '../text';

export const helpCommand: Command = {
  name: 'help',
  aliases: ['?'],
  summary: 'Show what I can do, or how to use one command.',
  usage: 'help [command]',
  examples: ['help', 'help install'],
  sideEffects: false,
  async run(ctx) {
    const all = ctx.commands.map(toHelp);
    const wanted = ctx.args.args[0]?.toLowerCase();
    if (!wanted) return { kind: 'help', commands: all, retirement: retirementNow(ctx.deps) };
    const command = all.find((c) => c.name === wanted || c.aliases.includes(wanted));
    if (command) return { kind: 'help', commands: all, command };
    const guess = suggest(
      wanted,
      all.flatMap((c) => [c.name, ...c.aliases]),
    );
    return {
      kind: 'error',
      text: t`There is no command ${code(quotedWords(wanted, 40))}.${guess ? t` Did you mean ${code(guess)}?` : []} Say ${code('help')} for the list.`,
    };
  },
};

/** The card a conversation gets when the bot joins it: a greeting, quick starts and the retirement line. */
export function welcomeReply(deps: Pick<CommandDeps, 'clock' | 'retirement'>): Reply {
  return { kind: 'welcome', retirement: retirementNow(deps) };
}

function retirementNow(deps: Pick<CommandDeps, 'clock' | 'retirement'>) {
  return retirementStatus(deps.retirement, deps.clock.now());
}
