/** The Reset button of the detail, version and notification cards. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resetAction } from '../../../src/core/actions/reset';
import { as, type Core, POLICY, refusal, startCore, textOf } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
});
afterEach(() => core.close());

describe('runtime.reset', () => {
  it('should reset at once where no approval is needed', async () => {
    const reply = as(await core.click(resetAction, { name: 'rag-eval' }), 'operation');
    expect(reply.operation).toMatchObject({ kind: 'reset', runtimeName: 'rag-eval' });
    expect(await core.operations('rag-eval', 'reset')).toHaveLength(1);
  });

  it('should open an approval request where the policy asks for one', async () => {
    const reply = as(await core.click(resetAction, { name: 'chat-dev' }), 'approval');
    expect(reply.approval).toMatchObject({ kind: 'reset', runtimeName: 'chat-dev', status: 'pending' });
    expect(await core.operations('chat-dev')).toEqual([]);
  });

  it('should refuse a viewer', async () => {
    const reply = as(await core.click(resetAction, { name: 'rag-eval' }, { who: 'isaiah' }), 'error');
    expect(textOf(reply)).toContain('to reset runtimes');
  });

  it('should refuse a card without the runtime’s name', async () => {
    expect((await refusal(core.click(resetAction, { name: '' }))).message).toContain('missing name');
  });
});
