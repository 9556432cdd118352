/** `help`: every command, one command by name or alias, and a guess for a typo. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { helpCommand } from '../../../src/core/commands/help';
import { COMMANDS } from '../../../src/core/commands/registry';
import { as, type Core, only, startCore, textOf } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore();
});
afterEach(() => core.close());

describe('help', () => {
  it('should list every registered command with the retirement line', async () => {
    const reply = as(only(await core.command(helpCommand, 'help')), 'help');
    expect(reply.commands.map((c) => c.name)).toEqual(COMMANDS.map((c) => c.name));
    expect(reply.command).toBeUndefined();
    expect(reply.retirement).toMatchObject({ retiresOn: '2027-04-20' });
  });

  it('should show one command found by its alias', async () => {
    const reply = as(only(await core.command(helpCommand, 'help pip')), 'help');
    expect(reply.command).toMatchObject({ name: 'install', usage: expect.stringContaining('install <name>') });
  });

  it('should guess the command meant by a typo', async () => {
    const reply = as(only(await core.command(helpCommand, 'help instal')), 'error');
    expect(textOf(reply)).toContain('There is no command');
    expect(textOf(reply)).toContain('Did you mean `install`?');
  });
});
