/** `unsubscribe`: removes topics, audited; topics it did not have are said so. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { subscribeCommand } from '../../../src/core/commands/subscribe';
import { unsubscribeCommand } from '../../../src/core/commands/unsubscribe';
import { as, CHANNEL, type Core, only, PERSONAL, refusal, startCore, textOf } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore();
  await core.command(subscribeCommand, 'subscribe all');
});
afterEach(() => core.close());

describe('unsubscribe', () => {
  it('should remove one topic and keep the others', async () => {
    const reply = as(only(await core.command(unsubscribeCommand, 'unsubscribe digest')), 'text');
    expect(textOf(reply)).toContain('Unsubscribed this conversation from digest.');
    const topics = (await core.subscriptions.get(CHANNEL.key!))?.topics ?? [];
    expect(topics).not.toContain('digest');
    expect(topics).toContain('versions');
    expect((await core.auditEntries()).map((e) => e.action)).toEqual(['subscribe', 'unsubscribe']);
  });

  it('should say a topic was not subscribed when it was not', async () => {
    await core.command(unsubscribeCommand, 'unsubscribe idle');
    const reply = as(only(await core.command(unsubscribeCommand, 'mute idle')), 'text');
    expect(textOf(reply)).toContain('This conversation was not subscribed to idle.');
  });

  it('should answer a conversation without a stored address with nothing removed', async () => {
    const reply = as(only(await core.command(unsubscribeCommand, 'unsubscribe all', { where: PERSONAL })), 'text');
    expect(textOf(reply)).toContain('This conversation was not subscribed to every topic.');
    expect(textOf(reply)).toContain('gets no notices');
  });

  it('should refuse an unknown topic', async () => {
    expect((await refusal(core.command(unsubscribeCommand, 'unsubscribe news'))).message).toContain('news');
  });
});
