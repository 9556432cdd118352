/** `create`: the form without options, each runtime type from flags, and the usage on a missing flag. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCommand } from '../../../src/core/commands/create';
import { as, type Core, only, POLICY, refusal, startCore, textOf } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
});
afterEach(() => core.close());

describe('create', () => {
  it('should open the form with the name typed and the workspace’s VM sizes when no option is given', async () => {
    const reply = as(only(await core.command(createCommand, 'create my-flow')), 'createForm');
    expect(reply.form).toMatchObject({ type: 'automatic', values: { name: 'my-flow', idleTimeMinutes: '60' } });
    expect(reply.form.vmSizes.map((s) => s.name)).toContain('Standard_E4ds_v4');
    expect(await core.operations('my-flow')).toEqual([]);
  });

  it('should create a compute session from its flags', async () => {
    const reply = as(
      only(await core.command(createCommand, 'create my-flow --vm-size Standard_E4ds_v4 --idle 120')),
      'operation',
    );
    expect(reply.operation).toMatchObject({ kind: 'create', runtimeName: 'my-flow' });
    const [op] = await core.operations('my-flow', 'create');
    expect(op.input).toMatchObject({ type: 'automatic', vmSize: 'Standard_E4ds_v4', idleTimeMinutes: 120 });
  });

  it('should create a compute instance runtime with a new application by default', async () => {
    await core.command(createCommand, 'create ci-rt --type ci --compute ci-alex');
    const [op] = await core.operations('ci-rt', 'create');
    expect(op.input).toMatchObject({
      type: 'computeInstance',
      computeInstanceName: 'ci-alex',
      customApplication: { mode: 'new' },
      environment: { mode: 'default' },
    });
  });

  it('should say which flag a compute session needs', async () => {
    expect(await refusal(core.command(createCommand, 'create my-flow --idle 60'))).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('needs --vm-size'),
    });
  });

  it('should name the runtime types when the type is unknown', async () => {
    expect(await refusal(core.command(createCommand, 'create my-flow --type gpu'))).toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/^Unknown runtime type .*gpu/),
    });
  });

  it('should refuse a managed identity the workspace does not have', async () => {
    const refused = await refusal(
      core.command(createCommand, 'create my-flow --vm-size Standard_E4ds_v4 --identity nobody-mi'),
    );
    expect(refused.message).toContain('no managed identity named');
    expect(await core.operations('my-flow')).toEqual([]);
  });

  it('should refuse a viewer', async () => {
    const reply = only(
      await core.command(createCommand, 'create my-flow --vm-size Standard_E4ds_v4', { who: 'isaiah' }),
    );
    expect(textOf(as(reply, 'error'))).toContain('to create runtimes');
  });
});
