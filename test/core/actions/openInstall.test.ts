/** The Install button: the install form prefilled with the runtime's saved requirements. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openInstallAction } from '../../../src/core/actions/openInstall';
import { as, type Core, refusal, startCore } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore();
});
afterEach(() => core.close());

describe('install.open', () => {
  it('should prefill the saved requirements', async () => {
    const reply = as(await core.click(openInstallAction, { name: 'rag-eval' }), 'installForm');
    expect(reply.form).toMatchObject({
      runtimeName: 'rag-eval',
      values: { requirements: 'langchain==0.0.1a\nfaiss-cpu' },
    });
  });

  it('should refuse a card without the name, and a runtime that is gone', async () => {
    expect((await refusal(core.click(openInstallAction, {}))).message).toContain('missing name');
    expect(await refusal(core.click(openInstallAction, { name: 'ghost-rt' }))).toMatchObject({ code: 'not_found' });
  });
});
