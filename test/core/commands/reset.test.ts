/** `reset`: a change that runs at once, waits for approval, or is refused, as the policy says. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resetCommand } from '../../../src/core/commands/reset';
import { as, type Core, only, POLICY, refusal, startCore, textOf, USERS } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
});
afterEach(() => core.close());

describe('reset', () => {
  it('should start the reset on the service when no approval is needed, as the user who asked', async () => {
    const reply = as(only(await core.command(resetCommand, 'reset rag-eval')), 'operation');
    expect(reply.operation).toMatchObject({ kind: 'reset', runtimeName: 'rag-eval' });
    const [op] = await core.operations('rag-eval', 'reset');
    expect(op).toMatchObject({ id: reply.operation.id, requestedBy: { objectId: USERS.alex.id } });
    expect((await core.auditEntries()).map((e) => e.action)).toEqual(['direct']);
  });

  it('should open an approval request for a runtime the policy guards, and start nothing', async () => {
    const reply = as(only(await core.command(resetCommand, 'reset chat-dev')), 'approval');
    expect(reply.approval).toMatchObject({
      status: 'pending',
      kind: 'reset',
      runtimeName: 'chat-dev',
      approvalsRequired: 1,
      approverRole: 'owner',
    });
    expect(await core.operations('chat-dev')).toEqual([]);
  });

  it('should refuse a viewer, name the roles that may, and audit the denial', async () => {
    const reply = as(only(await core.command(resetCommand, 'reset rag-eval', { who: 'isaiah' })), 'error');
    expect(textOf(reply)).toContain('dataScientist or owner role to reset');
    expect(await core.operations('rag-eval')).toEqual([]);
    expect((await core.auditEntries()).map((e) => e.action)).toEqual(['deny']);
  });

  it('should ask which runtime when none is named', async () => {
    expect(await refusal(core.command(resetCommand, 'reset'))).toEqual({
      code: 'bad_request',
      message: 'Which runtime? Give its name.',
    });
  });

  it('should say a runtime that does not exist is not there', async () => {
    expect(await refusal(core.command(resetCommand, 'reset ghost-rt'))).toMatchObject({ code: 'not_found' });
  });

  it('should refuse an option it does not take', async () => {
    expect(await refusal(core.command(resetCommand, 'reset rag-eval --force'))).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('--force'),
    });
  });
});
