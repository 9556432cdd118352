import { describeTopics, subscriptionText, topicsArg } from '../notifications/subscriptionText';
import type { Command } from './types';
import { allowFlags, auditBase } from './types';
import { t } from '../text';

export const unsubscribeCommand: Command = {
  name: 'unsubscribe',
  aliases: ['unsub', 'mute'],
  summary: 'Stop notices in this conversation, for some topics or all of them.',
  usage: 'unsubscribe [versions|failures|idle|digest|all]',
  examples: ['unsubscribe digest', 'unsubscribe all'],
  sideEffects: false,
  async run(ctx) {
    allowFlags(ctx, []);
    const topics = topicsArg(ctx.args.args);
    const key = ctx.request.conversation.key;
    const result = key ? await ctx.deps.subscriptions.unsubscribe(key, topics) : { topics: [], removed: [] };
    if (result.removed.length)
      await ctx.deps.audit.append({ ...auditBase(ctx), action: 'unsubscribe', details: { topics: result.removed } });
    const head = result.removed.length
      ? `Unsubscribed this conversation from ${describeTopics(result.removed)}.`
      : `This conversation was not subscribed to ${describeTopics(topics)}.`;
    return { kind: 'text', text: t`${head}\n\n${subscriptionText(result.topics)}` };
  },
};
