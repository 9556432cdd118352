/** `approvals`: the pending requests, without their sealed change. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvalsCommand } from '../../../src/core/commands/approvals';
import { resetCommand } from '../../../src/core/commands/reset';
import { as, type Core, only, POLICY, refusal, startCore, USERS } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
});
afterEach(() => core.close());

describe('approvals', () => {
  it('should answer with no request when none waits', async () => {
    expect(only(await core.command(approvalsCommand, 'approvals'))).toEqual({ kind: 'approvals', pending: [] });
  });

  it('should list a waiting request with who asked, and never its sealed change', async () => {
    const asked = as(only(await core.command(resetCommand, 'reset chat-dev')), 'approval');
    const reply = as(only(await core.command(approvalsCommand, 'pending', { who: 'megan' })), 'approvals');
    expect(reply.pending).toHaveLength(1);
    expect(reply.pending[0]).toMatchObject({
      id: asked.approval.id,
      kind: 'reset',
      runtimeName: 'chat-dev',
      requester: { objectId: USERS.alex.id },
    });
    expect(reply.pending[0]).not.toHaveProperty('sealed');
  });

  it('should not list a request once it is cancelled', async () => {
    const asked = as(only(await core.command(resetCommand, 'reset chat-dev')), 'approval');
    await core.approvals.cancel(asked.approval.id, USERS.alex);
    expect(as(only(await core.command(approvalsCommand, 'approvals')), 'approvals').pending).toEqual([]);
  });

  it('should refuse an option', async () => {
    expect((await refusal(core.command(approvalsCommand, 'approvals --all'))).message).toContain('--all');
  });
});
