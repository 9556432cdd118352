/** The help card's buttons: help for one command, or all of them. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { showHelpAction } from '../../../src/core/actions/showHelp';
import { COMMANDS } from '../../../src/core/commands/registry';
import { as, type Core, startCore, textOf } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore();
});
afterEach(() => core.close());

describe('help.show', () => {
  it('should show the command the button names', async () => {
    const reply = as(await core.click(showHelpAction, { command: 'reset' }), 'help');
    expect(reply.command).toMatchObject({ name: 'reset', usage: 'reset <name>' });
  });

  it('should show every command when the button names none', async () => {
    const reply = as(await core.click(showHelpAction, {}), 'help');
    expect(reply.command).toBeUndefined();
    expect(reply.commands).toHaveLength(COMMANDS.length);
  });

  it('should answer a command that does not exist with the list to use', async () => {
    expect(textOf(as(await core.click(showHelpAction, { command: 'launch' }), 'error'))).toContain(
      'There is no command',
    );
  });
});
