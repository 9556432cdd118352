/**
 * The ActionRouter: a click reaches its action; a repeated click that changes runtimes shows what the
 * first one started instead of starting it again; every failure, even from hostile data, becomes words.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionRouter } from '../../src/core/actionRouter';
import { resetAction } from '../../src/core/actions/reset';
import { viewRuntimeAction } from '../../src/core/actions/viewRuntime';
import type { CardActionRequest } from '../../src/core/actions/types';
import type { Reply } from '../../src/core/replies';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import { as, CHANNEL, type Core, POLICY, startCore, textOf, USERS } from '../helpers/coreHarness';

let core: Core;
let router: ActionRouter;
beforeEach(async () => {
  core = await startCore({ policy: POLICY });
  router = new ActionRouter(core.deps, new MemoryStorage());
});
afterEach(() => core.close());

function click(verb: string, data: Record<string, unknown>, messageId = 'message-1'): Promise<Reply> {
  const request: CardActionRequest = {
    user: USERS.alex,
    conversation: CHANNEL,
    verb,
    data,
    messageId,
    correlationId: randomUUID(),
    receivedAt: core.service.clock.now(),
  };
  return router.handle(request);
}

describe('ActionRouter', () => {
  it('should run the action the verb names', async () => {
    const reply = as(await click(viewRuntimeAction.verb, { name: 'chat-dev' }), 'runtimeDetail');
    expect(reply.runtime.name).toBe('chat-dev');
  });

  it('should answer an unknown verb with words, not an error', async () => {
    expect(textOf(as(await click('runtime.launch', {}), 'error'))).toContain('This card is out of date');
  });

  it('should show the first click’s operation for a double click, and start one', async () => {
    const first = as(await click(resetAction.verb, { name: 'rag-eval' }), 'operation');
    const second = as(await click(resetAction.verb, { name: 'rag-eval' }), 'operation');
    expect(second.operation.id).toBe(first.operation.id);
    expect(await core.operations('rag-eval')).toHaveLength(1);
  });

  it('should treat the same button on another message as another click, which the service then judges', async () => {
    await click(resetAction.verb, { name: 'rag-eval' }, 'message-1');
    const other = as(await click(resetAction.verb, { name: 'rag-eval' }, 'message-2'), 'error');
    expect(textOf(other)).toBe(
      'rag-eval is busy: a reset requested by Alex Wilber is still running. Try again when it ends.',
    );
  });

  it('should show the approval request a repeated guarded click opened, and open one', async () => {
    const first = as(await click(resetAction.verb, { name: 'chat-dev' }), 'approval');
    const second = as(await click(resetAction.verb, { name: 'chat-dev' }), 'approval');
    expect(second.approval.id).toBe(first.approval.id);
    expect(await core.approvals.requests.ids()).toEqual([first.approval.id]);
  });

  it('should let a click that failed be clicked again', async () => {
    const first = as(await click(resetAction.verb, { name: 'ghost-rt' }), 'error');
    expect(textOf(first)).toContain('ghost-rt');
    expect(textOf(as(await click(resetAction.verb, { name: 'ghost-rt' }), 'error'))).toContain('ghost-rt');
  });

  it('should turn hostile data into a generic answer, not a thrown error', async () => {
    const data = {
      get name(): string {
        throw new TypeError('internal detail');
      },
    };
    const reply = as(await click(resetAction.verb, data), 'error');
    expect(textOf(reply)).not.toContain('internal detail');
    expect(await core.operations('rag-eval')).toEqual([]);
  });
});
