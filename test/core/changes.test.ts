/** A change as commands and card actions ask for it, run on the service at once (no policy). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changeContextOf, directChanges } from '../../src/core/changes';
import { as, CHANNEL, type Core, refusal, startCore, USERS } from '../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore();
});
afterEach(() => core.close());

const context = (idempotencyKey: string) =>
  changeContextOf({
    request: { user: USERS.adele, conversation: CHANNEL, correlationId: 'corr-1' },
    actor: { objectId: USERS.adele.id, name: USERS.adele.name },
    idempotencyKey,
  });

describe('directChanges', () => {
  it('should run the change as the actor, under the idempotency key, titled for the progress card', async () => {
    const changes = directChanges(core.deps.client);
    const reply = as(
      await changes.submit({ kind: 'stop', runtimeName: 'rag-eval', body: {} }, context('k-1')),
      'operation',
    );
    expect(reply.title).toBe('Stopping rag-eval');
    const [op] = await core.operations('rag-eval', 'stop');
    expect(op).toMatchObject({
      id: reply.operation.id,
      idempotencyKey: 'k-1',
      requestedBy: { objectId: USERS.adele.id },
    });
  });

  it('should start one operation for a repeated key', async () => {
    const changes = directChanges(core.deps.client);
    const first = as(
      await changes.submit({ kind: 'reset', runtimeName: 'rag-eval', body: {} }, context('k-2')),
      'operation',
    );
    const again = as(
      await changes.submit({ kind: 'reset', runtimeName: 'rag-eval', body: {} }, context('k-2')),
      'operation',
    );
    expect(again.operation.id).toBe(first.operation.id);
    expect(await core.operations('rag-eval')).toHaveLength(1);
  });

  it('should refuse an edit of a runtime changed since it was read', async () => {
    const changes = directChanges(core.deps.client);
    const { eTag } = await core.deps.client.getRuntime('chat-dev');
    await changes.submit({ kind: 'update', runtimeName: 'chat-dev', body: { idleTimeMinutes: 60 } }, context('k-3'));
    const stale = { kind: 'update' as const, runtimeName: 'chat-dev', body: { idleTimeMinutes: 90 }, ifMatch: eTag };
    expect(await refusal(changes.submit(stale, context('k-4')))).toMatchObject({ code: 'precondition_failed' });
  });
});
