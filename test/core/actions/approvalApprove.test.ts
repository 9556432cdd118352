/** The approval card's Approve button: an owner's click executes the change; other clicks are refused. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvalApproveAction } from '../../../src/core/actions/approvalApprove';
import { resetCommand } from '../../../src/core/commands/reset';
import { as, type Core, only, POLICY, refusal, startCore, textOf } from '../../helpers/coreHarness';

let core: Core;
let approvalId: string;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
  approvalId = as(only(await core.command(resetCommand, 'reset chat-dev')), 'approval').approval.id;
});
afterEach(() => core.close());

describe('approval.approve', () => {
  it('should change runtimes and be deduplicated', () => {
    expect(approvalApproveAction.sideEffects).toBe(true);
  });

  it('should execute the request when an owner clicks Approve', async () => {
    const reply = as(await core.click(approvalApproveAction, { approvalId }, { who: 'megan' }), 'operation');
    expect(reply.title).toBe('Resetting chat-dev (approved)');
    expect(await core.operations('chat-dev', 'reset')).toHaveLength(1);
  });

  it('should refuse the requester’s own click', async () => {
    const reply = as(await core.click(approvalApproveAction, { approvalId }), 'error');
    expect(textOf(reply)).toContain('your own request');
    expect(await core.operations('chat-dev')).toEqual([]);
  });

  it('should refuse a card without the request id', async () => {
    expect(await refusal(core.click(approvalApproveAction, {}, { who: 'megan' }))).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('missing approvalId'),
    });
  });
});
