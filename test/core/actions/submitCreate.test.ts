/** The create form's Create: the change, or the form again with field errors and the input kept. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { submitCreateAction } from '../../../src/core/actions/submitCreate';
import { as, type Core, startCore } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore();
});
afterEach(() => core.close());

describe('create.submit', () => {
  it('should create a compute session from the form', async () => {
    const reply = as(
      await core.click(submitCreateAction, {
        type: 'automatic',
        name: ' my-flow ',
        vmSize: 'Standard_E4ds_v4',
        idleTimeMinutes: '90',
      }),
      'operation',
    );
    expect(reply.operation).toMatchObject({ kind: 'create', runtimeName: 'my-flow' });
    const [op] = await core.operations('my-flow', 'create');
    expect(op.input).toMatchObject({ vmSize: 'Standard_E4ds_v4', idleTimeMinutes: 90 });
  });

  it('should return the form with a name error and the input kept', async () => {
    const data = { type: 'automatic', name: '9 lives', vmSize: 'Standard_E4ds_v4', idleTimeMinutes: '90' };
    const reply = as(await core.click(submitCreateAction, data), 'createForm');
    expect(reply.form.errors.name).toContain('3 to 63 letters');
    expect(reply.form.values).toMatchObject({ name: '9 lives', vmSize: 'Standard_E4ds_v4', idleTimeMinutes: '90' });
  });

  it('should mark each missing or malformed field', async () => {
    const data = { type: 'automatic', name: 'my-flow', idleTimeMinutes: 'an hour' };
    const reply = as(await core.click(submitCreateAction, data), 'createForm');
    expect(reply.form.errors).toMatchObject({
      vmSize: 'VM size is required.',
      idleTimeMinutes: 'Idle time must be a whole number.',
    });
    expect(await core.operations('my-flow')).toEqual([]);
  });

  it('should put a taken name on the name field', async () => {
    const data = { type: 'automatic', name: 'chat-dev', vmSize: 'Standard_E4ds_v4' };
    const reply = as(await core.click(submitCreateAction, data), 'createForm');
    expect(reply.form.errors.name).toContain('already exists');
  });
});
