/**
 * The help card: every command with a button for its usage, or one command's usage and examples; the
 * overview says in one line that prompt flow is retiring.
 */
import type { CommandHelp, Reply } from '../../../../core/replies';
import type { AdaptiveCard } from '../render';
import { budget, renderWithin, safeText } from './common';
import { oneLineRetirement, type RetirementLineData } from './retirementLine';

type HelpReply = Extract<Reply, { kind: 'help' }>;

export interface HelpCommandRow {
  name: string;
  /** The name as action data for `help.show`. */
  dataName: string;
  summary: string;
}

export interface HelpCommandDetail {
  name: string;
  summary: string;
  hasAliases: boolean;
  aliases: string;
  usage: string;
  examples: string[];
}

export interface HelpCardData {
  overview: boolean;
  title: string;
  intro: string;
  retirement: RetirementLineData;
  commands: HelpCommandRow[];
  command: HelpCommandDetail;
}

const MAX_COMMANDS = 30;
const MAX_EXAMPLES = 8;

export function helpCard(reply: HelpReply): AdaptiveCard {
  return renderWithin('help', (scale) => helpData(reply, scale));
}

export function helpData(reply: HelpReply, scale = 1): HelpCardData {
  const b = (max: number) => budget(max, scale);
  const c = reply.command;
  return {
    overview: !c,
    title: c ? `help ${safeText(c.name, b(40))}` : 'What I can do',
    intro: c
      ? 'How to use one command.'
      : 'Every command also works after the word runtime or session, as in session status. Pick one to see how to use it.',
    retirement: oneLineRetirement(c ? undefined : reply.retirement),
    commands: reply.commands.slice(0, MAX_COMMANDS).map((cmd) => ({
      name: safeText(cmd.name, b(40)),
      dataName: safeText(cmd.name, 40),
      summary: safeText(cmd.summary, b(200)),
    })),
    command: c ? detail(c, b) : { name: '—', summary: '—', hasAliases: false, aliases: '—', usage: '—', examples: [] },
  };
}

function detail(c: CommandHelp, b: (n: number) => number): HelpCommandDetail {
  const aliases = c.aliases.filter((a) => a.trim()).slice(0, 10);
  return {
    name: safeText(c.name, b(40)),
    summary: safeText(c.summary, b(400)),
    hasAliases: aliases.length > 0,
    aliases: safeText(aliases.join(', '), b(120)),
    usage: safeText(c.usage, b(400)),
    examples: c.examples
      .slice(0, MAX_EXAMPLES)
      .map((e) => safeText(e.replace(/\r?\n/g, ' ⏎ '), b(200)))
      .filter((e) => e !== '—'),
  };
}
