/** `subscribe`: topics for a conversation the bot can post to later, audited; the rest refused. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { subscribeCommand } from '../../../src/core/commands/subscribe';
import { as, CHANNEL, type Core, only, PERSONAL, refusal, startCore, textOf } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore();
});
afterEach(() => core.close());

describe('subscribe', () => {
  it('should subscribe the conversation to the topics named and say what it now gets', async () => {
    const reply = as(only(await core.command(subscribeCommand, 'subscribe versions failures')), 'text');
    expect(textOf(reply)).toContain('Subscribed this conversation to versions, failures.');
    expect((await core.subscriptions.get(CHANNEL.key!))?.topics.sort()).toEqual(['failures', 'versions']);
    const [entry] = await core.auditEntries();
    expect(entry).toMatchObject({ action: 'subscribe', details: { topics: ['versions', 'failures'] } });
  });

  it('should say so when the conversation already has the topics, and audit nothing new', async () => {
    await core.command(subscribeCommand, 'subscribe versions');
    const reply = as(only(await core.command(subscribeCommand, 'sub versions')), 'text');
    expect(textOf(reply)).toContain('This conversation was already subscribed to versions.');
    expect(await core.auditEntries()).toHaveLength(1);
  });

  it('should refuse a conversation whose address was not stored', async () => {
    const reply = as(only(await core.command(subscribeCommand, 'subscribe all', { where: PERSONAL })), 'error');
    expect(textOf(reply)).toContain("I can't post to this conversation later");
    expect(await core.subscriptions.get(PERSONAL.id)).toBeUndefined();
  });

  it('should name the topics when one is unknown', async () => {
    expect(await refusal(core.command(subscribeCommand, 'subscribe weather'))).toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/^Unknown topic .*weather.*: use versions, /),
    });
  });
});
