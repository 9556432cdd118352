/** `status`: one runtime in detail with the viewer's buttons, or the on-call summary. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statusCommand } from '../../../src/core/commands/status';
import { as, type Core, only, POLICY, refusal, startCore } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
});
afterEach(() => core.close());

describe('status', () => {
  it('should show one runtime with the actions its state allows to a data scientist', async () => {
    const reply = as(only(await core.command(statusCommand, 'status rag-eval')), 'runtimeDetail');
    expect(reply.runtime).toMatchObject({ name: 'rag-eval', status: 'Failed', type: 'automatic' });
    expect(reply.actions).toEqual(expect.arrayContaining(['reset', 'stop', 'install', 'update']));
    expect(reply.actions).not.toContain('upgrade'); // rag-eval runs the latest image
  });

  it('should show a viewer the runtime without any action', async () => {
    const reply = as(only(await core.command(statusCommand, 'status chat-dev', { who: 'isaiah' })), 'runtimeDetail');
    expect(reply.runtime.name).toBe('chat-dev');
    expect(reply.actions).toEqual([]);
  });

  it('should answer without a name with the summary of every runtime and the retirement line', async () => {
    const reply = as(only(await core.command(statusCommand, 'status')), 'summary');
    expect(reply.summary.total).toBe(5);
    expect(JSON.stringify(reply.summary)).toContain('rag-eval');
    expect(reply.retirement).toMatchObject({ retiresOn: '2027-04-20' });
  });

  it('should refuse a runtime that does not exist by its name', async () => {
    expect(await refusal(core.command(statusCommand, 'status no-such-rt'))).toEqual({
      code: 'not_found',
      message: expect.stringContaining('no-such-rt'),
    });
  });

  it('should refuse an option it does not take', async () => {
    expect(await refusal(core.command(statusCommand, 'status chat-dev --verbose'))).toEqual({
      code: 'bad_request',
      message: expect.stringContaining('--verbose'),
    });
  });
});
