/** `reject`: an owner rejects with a reason the requester sees; a reason is required. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rejectCommand } from '../../../src/core/commands/reject';
import { resetCommand } from '../../../src/core/commands/reset';
import { as, type Core, only, POLICY, refusal, startCore, textOf, USERS } from '../../helpers/coreHarness';

let core: Core;
let id: string;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
  id = as(only(await core.command(resetCommand, 'reset chat-dev')), 'approval').approval.id;
});
afterEach(() => core.close());

describe('reject', () => {
  it('should close the request with the owner’s reason and start nothing', async () => {
    const reply = as(
      only(await core.command(rejectCommand, `reject ${id} not during the release freeze`, { who: 'megan' })),
      'approval',
    );
    expect(reply.approval).toMatchObject({
      status: 'rejected',
      rejection: { by: { objectId: USERS.megan.id }, reason: 'not during the release freeze' },
    });
    expect(await core.operations('chat-dev')).toEqual([]);
    expect((await core.auditEntries()).map((e) => e.action)).toEqual(['request', 'reject']);
  });

  it('should ask for a reason', async () => {
    expect(await refusal(core.command(rejectCommand, `reject ${id}`, { who: 'megan' }))).toMatchObject({
      code: 'bad_request',
      message: 'Say why, after the id: the requester sees your reason.',
    });
  });

  it('should not let the requester reject their own request', async () => {
    const reply = as(only(await core.command(rejectCommand, `deny ${id} changed my mind`)), 'error');
    expect(textOf(reply)).toContain('your own request');
  });

  it('should refuse a vote on a request that is already decided', async () => {
    await core.command(rejectCommand, `reject ${id} no`, { who: 'megan' });
    const reply = as(only(await core.command(rejectCommand, `reject ${id} again`, { who: 'megan' })), 'error');
    expect(textOf(reply)).toBe('This request is already rejected; votes are closed.');
  });
});
