import { describeTopics, subscriptionText, topicsArg } from '../notifications/subscriptionText';
import type { Command } from './types';
import { allowFlags, auditBase } from './types';
import { t, text } from '../text';

export const subscribeCommand: Command = {
  name: 'subscribe',
  aliases: ['sub', 'notify'],
  summary: 'Post notices in this conversation: new base-image versions, failures, idle shutdowns, the daily digest.',
  usage: 'subscribe [versions|failures|idle|digest|all]',
  examples: ['subscribe versions', 'subscribe failures idle', 'subscribe all'],
  sideEffects: false,
  async run(ctx) {
    allowFlags(ctx, []);
    const topics = topicsArg(ctx.args.args);
    const key = ctx.request.conversation.key;
    if (!key)
      return {
        kind: 'error',
        text: text(
          "I can't post to this conversation later (its service address is not on the allowed list), so I can't subscribe it.",
        ),
      };
    const result = await ctx.deps.subscriptions.subscribe(key, ctx.request.conversation, topics, ctx.request.user);
    if (result.added.length)
      await ctx.deps.audit.append({ ...auditBase(ctx), action: 'subscribe', details: { topics: result.added } });
    const head = result.added.length
      ? `Subscribed this conversation to ${describeTopics(result.added)}.`
      : `This conversation was already subscribed to ${describeTopics(topics)}.`;
    return { kind: 'text', text: t`${head}\n\n${subscriptionText(result.topics)}` };
  },
};
