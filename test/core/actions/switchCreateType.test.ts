/** The create form's type buttons: the same form with the other type's fields, the input kept. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { switchCreateTypeAction } from '../../../src/core/actions/switchCreateType';
import { as, type Core, startCore } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore();
});
afterEach(() => core.close());

describe('create.switchType', () => {
  it('should switch the form’s type and keep what was typed', async () => {
    const reply = as(
      await core.click(switchCreateTypeAction, {
        type: 'managedOnlineDeployment',
        name: 'my-flow',
        idleTimeMinutes: '30',
      }),
      'createForm',
    );
    expect(reply.form).toMatchObject({
      type: 'managedOnlineDeployment',
      values: { name: 'my-flow', idleTimeMinutes: '30' },
      errors: {},
    });
    expect(await core.operations('my-flow')).toEqual([]);
  });

  it('should put back the default idle time when it was emptied', async () => {
    const reply = as(
      await core.click(switchCreateTypeAction, { type: 'automatic', idleTimeMinutes: '' }),
      'createForm',
    );
    expect(reply.form.values.idleTimeMinutes).toBe('60');
  });
});
