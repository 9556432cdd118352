/** A runtime's Details (and the detail card's Refresh): the runtime with the viewer's buttons. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { viewRuntimeAction } from '../../../src/core/actions/viewRuntime';
import { as, type Core, POLICY, refusal, startCore } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
});
afterEach(() => core.close());

describe('runtime.view', () => {
  it('should show the runtime with the actions its state allows', async () => {
    const reply = as(await core.click(viewRuntimeAction, { name: 'legacy-ocr' }), 'runtimeDetail');
    expect(reply.runtime).toMatchObject({ name: 'legacy-ocr', status: 'Unavailable' });
    // Unavailable: its compute instance is stopped, so neither reset nor upgrade can run.
    expect(reply.actions).not.toContain('reset');
    expect(reply.actions).not.toContain('upgrade');
    expect(reply.actions).toContain('stop');
  });

  it('should show a viewer no actions', async () => {
    expect(
      as(await core.click(viewRuntimeAction, { name: 'chat-dev' }, { who: 'isaiah' }), 'runtimeDetail').actions,
    ).toEqual([]);
  });

  it('should refuse a card without the name, and a runtime that is gone', async () => {
    expect((await refusal(core.click(viewRuntimeAction, {}))).message).toContain('missing name');
    expect(await refusal(core.click(viewRuntimeAction, { name: 'ghost-rt' }))).toMatchObject({ code: 'not_found' });
  });
});
