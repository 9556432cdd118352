/** How the Teams sender judges the Bot Connector's answers for the core's outbox. */
import { describe, expect, it } from 'vitest';
import { connectorOutcome } from '../../../src/channels/teams/connectorOutcome';

describe('connectorOutcome', () => {
  it('should call a post that got an id sent', () => {
    expect(connectorOutcome({ ok: true, messageId: '1:abc' })).toEqual({ kind: 'sent', messageId: '1:abc' });
    expect(connectorOutcome({ ok: true })).toEqual({ kind: 'sent' });
  });

  it.each([0, 412, 429, 502, 503, 504])('should retry status %s later, after Retry-After when given', (status) => {
    expect(connectorOutcome({ ok: false, status, retryAfterMs: 3000 })).toMatchObject({
      kind: 'retryLater',
      afterMs: 3000,
      status,
    });
    expect(connectorOutcome({ ok: false, status })).not.toHaveProperty('afterMs');
  });

  it.each([
    [403, 'BotNotInConversationRoster'],
    [404, 'ConversationNotFound'],
  ])('should call the conversation gone on %s', (status, code) => {
    expect(connectorOutcome({ ok: false, status, code })).toEqual({
      kind: 'gone',
      reason: `${status} ${code}`,
      status,
    });
  });

  it.each([400, 401, 413, 500])('should fail status %s for good, with the reason', (status) => {
    expect(connectorOutcome({ ok: false, status, code: 'X' })).toEqual({
      kind: 'failed',
      reason: `${status} X`,
      status,
    });
  });

  it('should name no answer as such', () => {
    expect(connectorOutcome({ ok: false, status: 0, code: 'ECONNRESET' })).toMatchObject({
      kind: 'retryLater',
      reason: 'no answer ECONNRESET',
    });
  });
});
