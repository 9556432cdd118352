/** The Create button: the create form with the workspace's valid choices. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCreateAction } from '../../../src/core/actions/openCreate';
import { as, type Core, startCore } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore();
});
afterEach(() => core.close());

describe('create.open', () => {
  it('should open a compute session form by default, with a one-hour idle time', async () => {
    const reply = as(await core.click(openCreateAction, {}), 'createForm');
    expect(reply.form).toMatchObject({ type: 'automatic', values: { name: '', idleTimeMinutes: '60' }, errors: {} });
    expect(reply.form.vmSizes.length).toBeGreaterThan(0);
  });

  it('should open the type and name the card asks for, offering the user’s compute instances', async () => {
    const reply = as(await core.click(openCreateAction, { type: 'computeInstance', name: 'my-ci' }), 'createForm');
    expect(reply.form).toMatchObject({ type: 'computeInstance', values: { name: 'my-ci' } });
    expect(reply.form.computeInstances.map((c) => c.name)).toContain('ci-alex');
  });

  it('should fall back to a compute session for a type it does not know', async () => {
    expect(as(await core.click(openCreateAction, { type: 'kubernetes' }), 'createForm').form.type).toBe('automatic');
  });
});
