/** The approval card's Reject button, with the reason typed on the card. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvalRejectAction } from '../../../src/core/actions/approvalReject';
import { resetCommand } from '../../../src/core/commands/reset';
import { as, type Core, only, POLICY, refusal, startCore, textOf } from '../../helpers/coreHarness';

let core: Core;
let approvalId: string;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
  approvalId = as(only(await core.command(resetCommand, 'reset chat-dev')), 'approval').approval.id;
});
afterEach(() => core.close());

describe('approval.reject', () => {
  it('should reject with the typed reason', async () => {
    const reply = as(
      await core.click(approvalRejectAction, { approvalId, reason: '  release freeze  ' }, { who: 'megan' }),
      'approval',
    );
    expect(reply.approval).toMatchObject({ status: 'rejected', rejection: { reason: 'release freeze' } });
  });

  it('should ask for a reason when the box is empty, and leave the request pending', async () => {
    const reply = as(await core.click(approvalRejectAction, { approvalId }, { who: 'megan' }), 'error');
    expect(textOf(reply)).toBe('Say why you reject it: the requester sees your reason.');
    expect((await core.approvals.requests.get(approvalId))?.status).toBe('pending');
  });

  it('should refuse someone without the approver role', async () => {
    const reply = as(await core.click(approvalRejectAction, { approvalId, reason: 'no' }, { who: 'adele' }), 'error');
    expect(textOf(reply)).toContain('Only people with the owner role');
  });

  it('should refuse a card without the request id', async () => {
    expect((await refusal(core.click(approvalRejectAction, { reason: 'x' }, { who: 'megan' }))).message).toContain(
      'missing approvalId',
    );
  });
});
