/** `update`: changes guarded by the runtime's ETag, the form without options, and bad numbers. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { updateCommand } from '../../../src/core/commands/update';
import { as, type Core, only, POLICY, refusal, startCore } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
});
afterEach(() => core.close());

describe('update', () => {
  it('should change the idle time of a compute session', async () => {
    const reply = as(only(await core.command(updateCommand, 'update chat-dev --idle 120')), 'operation');
    expect(reply.operation).toMatchObject({ kind: 'update', runtimeName: 'chat-dev' });
    const [op] = await core.operations('chat-dev', 'update');
    expect(op.input).toMatchObject({ idleTimeMinutes: 120 });
  });

  it('should open the edit form with the runtime as it is when no option is given', async () => {
    const reply = as(only(await core.command(updateCommand, 'edit chat-dev')), 'editForm');
    expect(reply.form.runtime).toMatchObject({ name: 'chat-dev', idleTimeMinutes: 240 });
    expect(await core.operations('chat-dev')).toEqual([]);
  });

  it('should wait for an owner before changing a production runtime', async () => {
    const reply = as(only(await core.command(updateCommand, 'update prod-chat --idle 60')), 'approval');
    expect(reply.approval).toMatchObject({ kind: 'update', runtimeName: 'prod-chat', status: 'pending' });
  });

  it('should refuse an idle time that is not a whole number', async () => {
    expect(await refusal(core.command(updateCommand, 'update chat-dev --idle soon'))).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('--idle must be a whole number'),
    });
  });

  it('should say a runtime that does not exist is not there', async () => {
    expect(await refusal(core.command(updateCommand, 'update ghost-rt --idle 60'))).toMatchObject({
      code: 'not_found',
    });
  });
});
