/** The Edit button: the edit form with the runtime's current settings. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEditAction } from '../../../src/core/actions/openEdit';
import { as, type Core, refusal, startCore } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore();
});
afterEach(() => core.close());

describe('edit.open', () => {
  it('should open the form on the runtime as it is', async () => {
    const reply = as(await core.click(openEditAction, { name: 'prod-chat' }), 'editForm');
    expect(reply.form.runtime).toMatchObject({ name: 'prod-chat', vmSize: 'Standard_E8ds_v4', idleTimeMinutes: 4320 });
    expect(reply.form.vmSizes.map((s) => s.name)).toContain('Standard_E8ds_v4');
  });

  it('should refuse a card without the runtime’s name, and a runtime that is gone', async () => {
    expect((await refusal(core.click(openEditAction, { name: '  ' }))).message).toContain('missing name');
    expect(await refusal(core.click(openEditAction, { name: 'ghost-rt' }))).toMatchObject({ code: 'not_found' });
  });
});
