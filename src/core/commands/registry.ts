/**
 * The one list of commands. It routes messages, produces `help`, and generates the Teams
 * manifest's command list, so the three can never disagree.
 */
import { approvalsCommand } from './approvals';
import { approveCommand } from './approve';
import { auditCommand } from './audit';
import { cancelCommand } from './cancel';
import { createCommand } from './create';
import { helpCommand } from './help';
import { installCommand } from './install';
import { listCommand } from './list';
import { rejectCommand } from './reject';
import { resetCommand } from './reset';
import { retirementCommand } from './retirement';
import { rolesCommand } from './roles';
import { statusCommand } from './status';
import { subscribeCommand } from './subscribe';
import { subscriptionsCommand } from './subscriptions';
import { stopCommand } from './stop';
import type { Command } from './types';
import { unsubscribeCommand } from './unsubscribe';
import { updateCommand } from './update';
import { upgradeCommand } from './upgrade';
import { versionsCommand } from './versions';

export const COMMANDS: readonly Command[] = [
  helpCommand,
  listCommand,
  statusCommand,
  retirementCommand,
  createCommand,
  updateCommand,
  installCommand,
  resetCommand,
  stopCommand,
  versionsCommand,
  upgradeCommand,
  subscribeCommand,
  unsubscribeCommand,
  subscriptionsCommand,
  approvalsCommand,
  approveCommand,
  rejectCommand,
  cancelCommand,
  auditCommand,
  rolesCommand,
];

export function findCommand(verb: string, commands: readonly Command[] = COMMANDS): Command | undefined {
  return commands.find((c) => c.name === verb || c.aliases.includes(verb));
}
