import { installFormFor } from '../forms';
import type { ChatAttachment } from '../request';
import type { Command, CommandContext } from './types';
import { allowFlags, changeContext, runtimeNameArg } from './types';

const PIP_OPTIONS = [
  'i',
  'index-url',
  'extra-index-url',
  'f',
  'find-links',
  'trusted-host',
  'pre',
  'no-binary',
  'only-binary',
  'prefer-binary',
];

export const installCommand: Command = {
  name: 'install',
  aliases: ['pip'],
  summary:
    'Install packages into a compute session (automatic runtime) with pip install -r requirements.txt, or only save them with --save-only. Without lines it opens a form.',
  usage: 'install <name> [--save-only] <requirement lines…>   (or attach a requirements.txt)',
  examples: ['install chat-dev openai>=1.30 tiktoken', 'install chat-dev --save-only\nlangchain==0.3.9\nfaiss-cpu'],
  sideEffects: true,
  async run(ctx) {
    const name = runtimeNameArg(ctx);
    // pip's own options (-i, --extra-index-url…) belong to the requirement lines, read from the raw text.
    allowFlags(ctx, ['save-only', ...PIP_OPTIONS]);
    const saveOnly = ctx.args.flags['save-only'] !== undefined;
    const requirements = (await requirementsFrom(ctx, name)).trim();
    if (!requirements) {
      return installFormFor(ctx.deps.client, name); // no lines: the form, prefilled with the saved ones
    }
    return ctx.deps.changes.submit(
      { kind: 'install', runtimeName: name, body: { requirements, saveOnly } },
      changeContext(ctx),
    );
  },
};

/** Requirement lines typed after the name (one per line, or several on one line), or an attached file. */
async function requirementsFrom(ctx: CommandContext, name: string): Promise<string> {
  const file = ctx.request.attachments.find(isRequirementsFile);
  if (file) return ctx.deps.readAttachment(file);
  const afterName = ctx.args.rest.slice(ctx.args.rest.indexOf(name) + name.length);
  const withoutFlag = afterName.replace(/(^|\s)(--|—|–)save-only\b/g, ' ');
  const lines = withoutFlag
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.length > 1) return lines.join('\n');
  return splitOneLine(lines[0] ?? '').join('\n');
}

/** `numpy pandas==2 -i https://feed/simple pkg` → one requirement or option per line. */
function splitOneLine(line: string): string[] {
  const tokens = line.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const takesValue = /^(-i|--index-url|--extra-index-url|-f|--find-links|--trusted-host)$/.test(tokens[i]);
    if (takesValue && tokens[i + 1]) out.push(`${tokens[i]} ${tokens[++i]}`);
    else out.push(tokens[i]);
  }
  return out;
}

function isRequirementsFile(a: ChatAttachment): boolean {
  return /\.txt$/i.test(a.name ?? '') || a.contentType === 'text/plain';
}
