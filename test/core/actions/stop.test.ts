/** The Stop button of the detail, version, retirement and notification cards. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stopAction } from '../../../src/core/actions/stop';
import { as, type Core, POLICY, refusal, startCore, textOf } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
});
afterEach(() => core.close());

describe('runtime.stop', () => {
  it('should stop at once where no approval is needed', async () => {
    const reply = as(await core.click(stopAction, { name: 'legacy-ocr' }), 'operation');
    expect(reply.operation).toMatchObject({ kind: 'stop', runtimeName: 'legacy-ocr' });
  });

  it('should wait for an owner on a production runtime', async () => {
    expect(as(await core.click(stopAction, { name: 'prod-chat' }), 'approval').approval.kind).toBe('stop');
    expect(await core.operations('prod-chat')).toEqual([]);
  });

  it('should refuse a viewer', async () => {
    expect(textOf(as(await core.click(stopAction, { name: 'legacy-ocr' }, { who: 'isaiah' }), 'error'))).toContain(
      'to stop runtimes',
    );
  });

  it('should refuse a card without the name, and a runtime that is gone', async () => {
    expect((await refusal(core.click(stopAction, {}))).message).toContain('missing name');
    expect(await refusal(core.click(stopAction, { name: 'ghost-rt' }))).toMatchObject({ code: 'not_found' });
  });
});
