/** The one list of commands: each word routes to one command, and a command is found by any of its words. */
import { describe, expect, it } from 'vitest';
import { COMMANDS, findCommand } from '../../../src/core/commands/registry';

describe('COMMANDS', () => {
  it('should give every name and alias to one command only', () => {
    const words = COMMANDS.flatMap((c) => [c.name, ...c.aliases]);
    expect(words.filter((w, i) => words.indexOf(w) !== i)).toEqual([]);
  });

  it('should give every command a summary, a usage that starts with its name, and an example', () => {
    for (const c of COMMANDS) {
      expect(c.summary.length, c.name).toBeGreaterThan(10);
      expect(c.usage.startsWith(c.name), c.name).toBe(true);
      expect(c.examples.length, c.name).toBeGreaterThan(0);
    }
  });

  it('should find a command by name or alias, and nothing for another word', () => {
    expect(findCommand('pip')?.name).toBe('install');
    expect(findCommand('status')?.name).toBe('status');
    expect(findCommand('launch')).toBeUndefined();
  });

  it('should deduplicate exactly the commands that change something', () => {
    const changing = COMMANDS.filter((c) => c.sideEffects).map((c) => c.name);
    expect(changing).toEqual(expect.arrayContaining(['create', 'update', 'install', 'reset', 'stop', 'upgrade']));
    expect(changing).not.toContain('status');
    expect(changing).not.toContain('list');
  });
});
