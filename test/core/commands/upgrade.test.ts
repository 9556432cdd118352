/** `upgrade`: moves a runtime to the latest base image, through the policy's gate. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { upgradeCommand } from '../../../src/core/commands/upgrade';
import { as, type Core, only, POLICY, refusal, startCore, textOf } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
});
afterEach(() => core.close());

describe('upgrade', () => {
  it('should upgrade an outdated runtime at once where no approval is needed', async () => {
    const reply = as(only(await core.command(upgradeCommand, 'upgrade ci-alex-runtime')), 'operation');
    expect(reply.operation).toMatchObject({ kind: 'upgrade', runtimeName: 'ci-alex-runtime' });
    expect(await core.operations('ci-alex-runtime', 'upgrade')).toHaveLength(1);
  });

  it('should wait for an owner before upgrading a production runtime', async () => {
    const reply = as(only(await core.command(upgradeCommand, 'upgrade prod-chat')), 'approval');
    expect(reply.approval).toMatchObject({ kind: 'upgrade', runtimeName: 'prod-chat', status: 'pending' });
    expect(await core.operations('prod-chat')).toEqual([]);
  });

  it('should refuse a viewer', async () => {
    const reply = as(only(await core.command(upgradeCommand, 'upgrade ci-alex-runtime', { who: 'isaiah' })), 'error');
    expect(textOf(reply)).toContain('to upgrade runtimes');
  });

  it('should ask which runtime when none is named', async () => {
    expect(await refusal(core.command(upgradeCommand, 'upgrade'))).toMatchObject({
      code: 'bad_request',
      message: 'Which runtime? Give its name.',
    });
  });

  it('should not start an upgrade of a runtime already on the latest image', async () => {
    expect(await refusal(core.command(upgradeCommand, 'upgrade chat-dev'))).toEqual({
      code: 'conflict',
      message: 'chat-dev already runs the latest image version, 20251211.v2.',
    });
    expect(await core.operations('chat-dev')).toEqual([]);
  });
});
