/** `subscriptions`: what this conversation gets. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { subscribeCommand } from '../../../src/core/commands/subscribe';
import { subscriptionsCommand } from '../../../src/core/commands/subscriptions';
import { as, type Core, only, refusal, startCore, textOf } from '../../helpers/coreHarness';

let core: Core;
beforeEach(async () => {
  core = await startCore();
});
afterEach(() => core.close());

describe('subscriptions', () => {
  it('should say how to start when the conversation gets nothing', async () => {
    const reply = as(only(await core.command(subscriptionsCommand, 'subscriptions')), 'text');
    expect(textOf(reply)).toContain('This conversation gets no notices.');
  });

  it('should list the subscribed topics and only those', async () => {
    await core.command(subscribeCommand, 'subscribe failures');
    const text = textOf(only(await core.command(subscriptionsCommand, 'notifications')));
    expect(text).toContain('This conversation gets:');
    expect(text).toContain('**failures**');
    expect(text).not.toContain('**versions**');
  });

  it('should refuse an option', async () => {
    expect((await refusal(core.command(subscriptionsCommand, 'subscriptions --all'))).message).toContain('--all');
  });
});
