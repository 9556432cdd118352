/**
 * Builds the Teams app manifest from the static template and the command registry: the manifest's
 * command lists come from the same list that routes messages and answers `help`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { COMMANDS } from '../../core/commands/registry';
import type { Command } from '../../core/commands/types';

export const MANIFEST_DIR = path.resolve(__dirname, '../../../manifest');
/** Teams shows at most 10 commands per scope. */
const MAX_COMMANDS = 10;
/**
 * Commands that give their place to others, listed last in this order (the rest keep the
 * registry's order): the images are frozen (prompt flow is retiring), so few upgrades are left and
 * `retirement` takes its place; editing is one click away on the detail card.
 */
const LISTED_LAST = ['upgrade', 'update'];

export interface ManifestInput {
  appId: string;
  botId: string;
  version?: string;
  domains?: string[];
}

export function buildManifest(input: ManifestInput, commands: readonly Command[] = COMMANDS): Record<string, unknown> {
  const text = readFileSync(path.join(MANIFEST_DIR, 'manifest.template.json'), 'utf8')
    .replace('{{TEAMS_APP_ID}}', input.appId)
    .replace('{{BOT_ID}}', input.botId);
  const manifest = JSON.parse(text) as Record<string, unknown> & { bots: Record<string, unknown>[] };
  manifest.bots[0].commandLists = [
    { scopes: ['personal'], commands: commandList(commands) },
    { scopes: ['team', 'groupChat'], commands: commandList(commands) },
  ];
  if (input.version) manifest.version = input.version;
  manifest.validDomains = [...new Set(input.domains ?? [])];
  return manifest;
}

function commandList(commands: readonly Command[]): { title: string; description: string }[] {
  return [...commands]
    .sort((a, b) => rank(a) - rank(b))
    .slice(0, MAX_COMMANDS)
    .map((c) => ({ title: c.name, description: c.summary.slice(0, 128) }));
}

function rank(command: Command): number {
  return LISTED_LAST.indexOf(command.name) + 1;
}
