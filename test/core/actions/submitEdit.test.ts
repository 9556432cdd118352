/** The edit form's Save: only the changed fields, guarded by the runtime's ETag; problems on the form. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { submitEditAction } from '../../../src/core/actions/submitEdit';
import { as, type Core, POLICY, refusal, startCore } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
});
afterEach(() => core.close());

describe('edit.submit', () => {
  it('should send only what changed', async () => {
    const data = { name: 'chat-dev', vmSize: 'Standard_E4ds_v4', idleTimeMinutes: '120', description: '' };
    as(await core.click(submitEditAction, data), 'operation');
    const [op] = await core.operations('chat-dev', 'update');
    expect(op.input).toEqual({ idleTimeMinutes: 120 });
  });

  it('should say nothing changed when nothing did', async () => {
    const data = { name: 'chat-dev', vmSize: 'Standard_E4ds_v4', idleTimeMinutes: '240' };
    const reply = as(await core.click(submitEditAction, data), 'editForm');
    expect(reply.form.message).toBe('Nothing changed: edit a field, then save.');
    expect(await core.operations('chat-dev')).toEqual([]);
  });

  it('should mark a malformed number and keep the input', async () => {
    const reply = as(await core.click(submitEditAction, { name: 'chat-dev', idleTimeMinutes: '4h' }), 'editForm');
    expect(reply.form.errors).toEqual({ idleTimeMinutes: 'Must be a whole number.' });
    expect(reply.form.values.idleTimeMinutes).toBe('4h');
  });

  it('should wait for an owner on a production runtime', async () => {
    const reply = as(await core.click(submitEditAction, { name: 'prod-chat', idleTimeMinutes: '60' }), 'approval');
    expect(reply.approval).toMatchObject({ kind: 'update', status: 'pending' });
  });

  it('should say a runtime that is gone is not there', async () => {
    expect(await refusal(core.click(submitEditAction, { name: 'ghost-rt', idleTimeMinutes: '60' }))).toMatchObject({
      code: 'not_found',
    });
  });
});
