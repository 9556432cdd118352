/** The title of a progress message: the change in words, a save-only install said as such. */
import { describe, expect, it } from 'vitest';
import { operationTitle } from '../../src/core/operationTitle';

describe('operationTitle', () => {
  it.each([
    ['create', 'Creating my-flow'],
    ['update', 'Updating my-flow'],
    ['install', 'Installing packages into my-flow'],
    ['reset', 'Resetting my-flow'],
    ['stop', 'Stopping my-flow'],
    ['upgrade', 'Upgrading my-flow'],
  ] as const)('should title a %s', (kind, title) => {
    expect(operationTitle({ kind, runtimeName: 'my-flow', input: {} })).toBe(title);
  });

  it('should say a save-only install saves', () => {
    expect(operationTitle({ kind: 'install', runtimeName: 'chat-dev', input: { saveOnly: true } })).toBe(
      'Saving requirements for chat-dev',
    );
  });
});
