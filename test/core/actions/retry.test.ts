/** Retry on a failed progress card: run again, reopen the form, or recreate what a create left behind. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { retryAction } from '../../../src/core/actions/retry';
import { as, type Core, POLICY, refusal, startCore, textOf } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
});
afterEach(() => core.close());

describe('operation.retry', () => {
  it('should run a failed reset again', async () => {
    const reply = as(await core.click(retryAction, { kind: 'reset', name: 'rag-eval' }), 'operation');
    expect(reply.operation).toMatchObject({ kind: 'reset', runtimeName: 'rag-eval' });
  });

  it('should recreate the runtime a failed create left behind with a reset', async () => {
    const reply = as(await core.click(retryAction, { kind: 'create', name: 'rag-eval' }), 'operation');
    expect(reply.operation.kind).toBe('reset');
  });

  it('should reopen the install form, since the feed token was never stored', async () => {
    const reply = as(await core.click(retryAction, { kind: 'install', name: 'rag-eval' }), 'installForm');
    expect(reply.form.runtimeName).toBe('rag-eval');
    expect(await core.operations('rag-eval')).toEqual([]);
  });

  it('should reopen the edit form for a failed edit', async () => {
    expect(as(await core.click(retryAction, { kind: 'update', name: 'chat-dev' }), 'editForm').form.runtime.name).toBe(
      'chat-dev',
    );
  });

  it('should go through the policy: a guarded retry waits for approval', async () => {
    expect(as(await core.click(retryAction, { kind: 'reset', name: 'chat-dev' }), 'approval').approval.kind).toBe(
      'reset',
    );
  });

  it('should say what it cannot retry, and refuse a card without the kind', async () => {
    const reply = as(await core.click(retryAction, { kind: 'teleport', name: 'chat-dev' }), 'error');
    expect(textOf(reply)).toMatch(/^I can't retry .teleport. from here\.$/);
    expect((await refusal(core.click(retryAction, { name: 'chat-dev' }))).message).toContain('missing kind');
  });
});
