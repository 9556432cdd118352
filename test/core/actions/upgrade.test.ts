/** The Upgrade button of the detail, version and notification cards. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { upgradeAction } from '../../../src/core/actions/upgrade';
import { as, type Core, POLICY, refusal, startCore } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
});
afterEach(() => core.close());

describe('runtime.upgrade', () => {
  it('should upgrade an outdated runtime at once where no approval is needed', async () => {
    const reply = as(await core.click(upgradeAction, { name: 'ci-alex-runtime' }), 'operation');
    expect(reply.operation).toMatchObject({ kind: 'upgrade', runtimeName: 'ci-alex-runtime' });
  });

  it('should wait for an owner on a production runtime', async () => {
    expect(as(await core.click(upgradeAction, { name: 'prod-chat' }), 'approval').approval.kind).toBe('upgrade');
  });

  it('should refuse a runtime already on the latest image', async () => {
    expect(await refusal(core.click(upgradeAction, { name: 'chat-dev' }))).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('already runs the latest image'),
    });
  });
});
