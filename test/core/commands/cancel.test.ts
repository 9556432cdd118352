/** `cancel`: only the requester withdraws a pending request. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cancelCommand } from '../../../src/core/commands/cancel';
import { resetCommand } from '../../../src/core/commands/reset';
import { as, type Core, only, POLICY, refusal, startCore, textOf, USERS } from '../../helpers/coreHarness';

let core: Core;
let id: string;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
  id = as(only(await core.command(resetCommand, 'reset chat-dev')), 'approval').approval.id;
});
afterEach(() => core.close());

describe('cancel', () => {
  it('should cancel the requester’s own pending request', async () => {
    const reply = as(only(await core.command(cancelCommand, `cancel ${id}`)), 'approval');
    expect(reply.approval).toMatchObject({ id, status: 'cancelled', cancelledBy: { objectId: USERS.alex.id } });
    expect((await core.auditEntries()).map((e) => e.action)).toEqual(['request', 'cancel']);
  });

  it('should not let anyone else cancel it, even an owner', async () => {
    const reply = as(only(await core.command(cancelCommand, `withdraw ${id}`, { who: 'megan' })), 'error');
    expect(textOf(reply)).toBe('Only the requester can cancel a request.');
    expect((await core.approvals.requests.get(id))?.status).toBe('pending');
  });

  it('should refuse to cancel a request twice', async () => {
    await core.command(cancelCommand, `cancel ${id}`);
    const reply = as(only(await core.command(cancelCommand, `cancel ${id}`)), 'error');
    expect(textOf(reply)).toBe('This request is already cancelled.');
  });

  it('should ask which request when no id is given', async () => {
    expect(await refusal(core.command(cancelCommand, 'cancel'))).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('Which request?'),
    });
  });
});
