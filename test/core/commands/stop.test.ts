/** `stop`: stops a runtime, through the policy's gate. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stopCommand } from '../../../src/core/commands/stop';
import { as, type Core, only, POLICY, refusal, startCore, textOf } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
});
afterEach(() => core.close());

describe('stop', () => {
  it('should stop a runtime at once where the policy needs no approval', async () => {
    const reply = as(only(await core.command(stopCommand, 'stop ci-alex-runtime')), 'operation');
    expect(reply.operation).toMatchObject({ kind: 'stop', runtimeName: 'ci-alex-runtime' });
    expect(await core.operations('ci-alex-runtime', 'stop')).toHaveLength(1);
  });

  it('should wait for an owner before stopping a production runtime', async () => {
    const reply = as(only(await core.command(stopCommand, 'stop prod-chat', { who: 'adele' })), 'approval');
    expect(reply.approval).toMatchObject({ kind: 'stop', runtimeName: 'prod-chat', status: 'pending' });
    expect(await core.operations('prod-chat')).toEqual([]);
  });

  it('should refuse a viewer', async () => {
    const reply = as(only(await core.command(stopCommand, 'stop ci-alex-runtime', { who: 'isaiah' })), 'error');
    expect(textOf(reply)).toContain('to stop runtimes');
    expect(await core.operations('ci-alex-runtime')).toEqual([]);
  });

  it('should ask which runtime when none is named', async () => {
    expect(await refusal(core.command(stopCommand, 'stop'))).toMatchObject({
      code: 'bad_request',
      message: 'Which runtime? Give its name.',
    });
  });

  it('should say a runtime that does not exist is not there', async () => {
    expect(await refusal(core.command(stopCommand, 'stop ghost-rt'))).toMatchObject({ code: 'not_found' });
  });
});
