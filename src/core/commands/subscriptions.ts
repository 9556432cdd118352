import { subscriptionText } from '../notifications/subscriptionText';
import type { Command } from './types';
import { allowFlags } from './types';

export const subscriptionsCommand: Command = {
  name: 'subscriptions',
  aliases: ['notifications'],
  summary: 'What this conversation is subscribed to.',
  usage: 'subscriptions',
  examples: ['subscriptions'],
  sideEffects: false,
  async run(ctx) {
    allowFlags(ctx, []);
    const key = ctx.request.conversation.key;
    const current = key ? await ctx.deps.subscriptions.get(key) : undefined;
    return { kind: 'text', text: subscriptionText(current?.topics ?? []) };
  },
};
