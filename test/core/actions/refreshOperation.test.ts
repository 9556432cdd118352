/** The progress card's Refresh: the operation as the service has it now. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { refreshOperationAction } from '../../../src/core/actions/refreshOperation';
import { resetCommand } from '../../../src/core/commands/reset';
import { advance, TIMINGS } from '../../helpers/service';
import { as, type Core, only, refusal, startCore } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore();
});
afterEach(() => core.close());

describe('operation.refresh', () => {
  it('should show the operation’s progress since the card was sent', async () => {
    const started = as(only(await core.command(resetCommand, 'reset rag-eval')), 'operation');
    await advance(core.service, TIMINGS.startMs * 3);
    const reply = as(await core.click(refreshOperationAction, { operationId: started.operation.id }), 'operation');
    expect(reply.operation.id).toBe(started.operation.id);
    expect(reply.operation.steps.length).toBeGreaterThan(started.operation.steps.length);
    expect(reply.title).toContain('rag-eval');
  });

  it('should say an operation the service does not know is not there', async () => {
    expect(
      await refusal(core.click(refreshOperationAction, { operationId: '00000000-0000-4000-8000-000000000000' })),
    ).toMatchObject({ code: 'not_found' });
  });

  it('should refuse a card without the operation id', async () => {
    expect((await refusal(core.click(refreshOperationAction, {}))).message).toContain('missing operationId');
  });
});
