/** The approval card's Cancel button: the requester withdraws the request. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvalCancelAction } from '../../../src/core/actions/approvalCancel';
import { resetCommand } from '../../../src/core/commands/reset';
import { as, type Core, only, POLICY, refusal, startCore, textOf } from '../../helpers/coreHarness';

let core: Core;
let approvalId: string;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
  approvalId = as(only(await core.command(resetCommand, 'reset chat-dev')), 'approval').approval.id;
});
afterEach(() => core.close());

describe('approval.cancel', () => {
  it('should cancel the request for its requester', async () => {
    const reply = as(await core.click(approvalCancelAction, { approvalId }), 'approval');
    expect(reply.approval.status).toBe('cancelled');
    expect(reply.viewer.canCancel).toBe(false);
  });

  it('should refuse anyone else', async () => {
    const reply = as(await core.click(approvalCancelAction, { approvalId }, { who: 'megan' }), 'error');
    expect(textOf(reply)).toBe('Only the requester can cancel a request.');
  });

  it('should say an unknown request is not there', async () => {
    expect(await refusal(core.click(approvalCancelAction, { approvalId: 'QQQQ77' }))).toMatchObject({
      code: 'not_found',
    });
  });
});
