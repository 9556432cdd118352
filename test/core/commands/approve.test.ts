/** `approve`: an owner's vote executes the change once; the requester, non-approvers and bad ids are refused. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approveCommand } from '../../../src/core/commands/approve';
import { resetCommand } from '../../../src/core/commands/reset';
import { as, type Core, only, POLICY, refusal, startCore, textOf, USERS } from '../../helpers/coreHarness';

let core: Core;
let id: string;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
  id = as(only(await core.command(resetCommand, 'reset chat-dev')), 'approval').approval.id;
});
afterEach(() => core.close());

describe('approve', () => {
  it('should execute the change once an owner approves, under the request’s own key', async () => {
    const reply = as(only(await core.command(approveCommand, `approve ${id}`, { who: 'megan' })), 'operation');
    // The requester's change, run for the requester: the approver only let it through.
    expect(reply).toMatchObject({ title: 'Resetting chat-dev (approved)', operation: { kind: 'reset' } });
    expect(reply.operation.requestedBy.objectId).toBe(USERS.alex.id);
    const ops = await core.operations('chat-dev', 'reset');
    expect(ops.map((op) => [op.id, op.idempotencyKey])).toEqual([[reply.operation.id, `approval-${id}`]]);
    expect((await core.approvals.requests.get(id))?.status).toBe('executing');
  });

  it('should take the id in lower case', async () => {
    await core.command(approveCommand, `approve ${id.toLowerCase()}`, { who: 'megan' });
    expect(await core.operations('chat-dev', 'reset')).toHaveLength(1);
  });

  it('should not let the requester approve their own request', async () => {
    const reply = as(only(await core.command(approveCommand, `approve ${id}`)), 'error');
    expect(textOf(reply)).toContain('cannot approve or reject your own request');
    expect(await core.operations('chat-dev')).toEqual([]);
  });

  it('should not let someone without the approver role vote', async () => {
    const reply = as(only(await core.command(approveCommand, `approve ${id}`, { who: 'adele' })), 'error');
    expect(textOf(reply)).toBe('Only people with the owner role can decide this request.');
    expect((await core.auditEntries()).map((e) => e.action)).toEqual(['request', 'deny']);
  });

  it('should ask which request when no id is given, and say an unknown one is not there', async () => {
    expect((await refusal(core.command(approveCommand, 'approve', { who: 'megan' }))).message).toContain(
      'Which request?',
    );
    expect(await refusal(core.command(approveCommand, 'approve ZZZZ99', { who: 'megan' }))).toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('There is no approval request ZZZZ99'),
    });
  });
});
