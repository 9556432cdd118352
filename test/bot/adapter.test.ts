import { describe, expect, it } from 'vitest';
import { createAdapter } from '../../src/bot/adapter';
import { correlation, correlationIdOf } from '../../src/bot/correlation';
import { createLogger } from '../../src/logger';
import { botConfig } from '../helpers/stack';

/** Just enough of a TurnContext for the turn-error handler. */
function fakeContext(type: string) {
  const sent: string[] = [];
  const turnState = new Map<unknown, unknown>();
  return {
    sent,
    context: {
      activity: { type, conversation: { id: 'c1' } },
      turnState,
      sendActivity: async (text: string) => {
        sent.push(text);
        return { id: 'x' };
      },
    },
  };
}

describe('adapter turn errors', () => {
  it('should answer an unhandled turn error with the turn correlation id, which is also logged', async () => {
    const lines: string[] = [];
    const adapter = createAdapter(
      botConfig(),
      createLogger('debug', {}, (l) => lines.push(l)),
    );
    const { context, sent } = fakeContext('message');
    await correlation.onTurn(context as never, async () => undefined);
    const id = correlationIdOf(context as never);
    await adapter.onTurnError(context as never, new Error('boom at /srv/app/secret.ts:12'));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain(id);
    expect(sent[0]).not.toContain('boom');
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'unhandled turn error');
    expect(logged.correlationId).toBe(id);
    expect(logged.error.message).toContain('boom');
  });

  it('should not send a message for a failed invoke: the channel shows the failure itself', async () => {
    const adapter = createAdapter(botConfig(), createLogger('silent'));
    const { context, sent } = fakeContext('invoke');
    await adapter.onTurnError(context as never, new Error('boom'));
    expect(sent).toHaveLength(0);
  });
});
