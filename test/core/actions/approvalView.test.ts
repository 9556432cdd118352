/** The approval card's refresh: the request as this viewer sees it, with the buttons they may use. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvalViewAction } from '../../../src/core/actions/approvalView';
import { resetCommand } from '../../../src/core/commands/reset';
import { as, type Core, only, POLICY, refusal, startCore, USERS } from '../../helpers/coreHarness';

let core: Core;
let approvalId: string;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
  approvalId = as(only(await core.command(resetCommand, 'reset chat-dev')), 'approval').approval.id;
});
afterEach(() => core.close());

describe('approval.view', () => {
  it('should only read', () => {
    expect(approvalViewAction.sideEffects).toBe(false);
  });

  it('should let an approver vote and not cancel', async () => {
    const reply = as(await core.click(approvalViewAction, { approvalId }, { who: 'megan' }), 'approval');
    expect(reply.viewer).toMatchObject({ objectId: USERS.megan.id, canVote: true, canCancel: false });
    expect(reply.approvers.map((a) => a.objectId)).toEqual([USERS.megan.id]);
  });

  it('should let the requester cancel and not vote', async () => {
    const reply = as(await core.click(approvalViewAction, { approvalId }), 'approval');
    expect(reply.viewer).toMatchObject({ canVote: false, canCancel: true });
  });

  it('should refuse a malformed id as not found', async () => {
    expect(await refusal(core.click(approvalViewAction, { approvalId: '../../etc' }))).toMatchObject({
      code: 'not_found',
    });
  });
});
