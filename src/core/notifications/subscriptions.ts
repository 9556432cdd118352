/**
 * Which conversations hear about what. One record per conversation, keyed by the conversation's
 * durable key (the same key its stored reference has), so a send can always find where to go.
 */
import type { Clock } from '../../clock';
import { Collection, UNCHANGED } from '../../storage/collection';
import type { Storage } from '../../storage/storage';
import type { ChatConversation, ChatUser } from '../request';
import { type Topic, TOPICS } from './topics';

export interface Subscription {
  conversationKey: string;
  conversation: { id: string; type: ChatConversation['type']; name?: string };
  topics: Topic[];
  by: { id: string; name?: string };
  since: string;
}

export class SubscriptionStore {
  private readonly subs: Collection<Subscription>;

  constructor(
    storage: Storage,
    private readonly clock: Clock,
  ) {
    this.subs = new Collection(storage, 'subscriptions');
  }

  get(conversationKey: string): Promise<Subscription | undefined> {
    return this.subs.get(conversationKey);
  }

  /** Adds topics; returns the topics now subscribed and those that were new. */
  async subscribe(
    conversationKey: string,
    conversation: ChatConversation,
    topics: Topic[],
    by: ChatUser,
  ): Promise<{ topics: Topic[]; added: Topic[] }> {
    let added: Topic[] = [];
    const stored = await this.subs.update(conversationKey, (current) => {
      const before = new Set(current?.topics ?? []);
      added = topics.filter((t) => !before.has(t));
      if (current && added.length === 0) return UNCHANGED;
      return {
        conversationKey,
        conversation: {
          id: conversation.id,
          type: conversation.type,
          ...(conversation.name ? { name: conversation.name } : {}),
        },
        topics: TOPICS.filter((t) => before.has(t) || topics.includes(t)),
        by: { id: by.id, ...(by.name ? { name: by.name } : {}) },
        since: current?.since ?? new Date(this.clock.now()).toISOString(),
      };
    });
    return { topics: stored?.topics ?? [], added };
  }

  /** Removes topics (an empty record stays: deleting it could race a new subscribe). */
  async unsubscribe(conversationKey: string, topics: Topic[]): Promise<{ topics: Topic[]; removed: Topic[] }> {
    const current = await this.subs.get(conversationKey);
    if (!current) return { topics: [], removed: [] };
    let removed: Topic[] = [];
    let left: Topic[] = [];
    await this.subs.update(conversationKey, (now) => {
      if (!now) return UNCHANGED;
      removed = now.topics.filter((t) => topics.includes(t));
      left = now.topics.filter((t) => !topics.includes(t));
      return removed.length === 0 ? UNCHANGED : { ...now, topics: left };
    });
    return { topics: left, removed };
  }

  /** Every subscription to `topic`. */
  async forTopic(topic: Topic): Promise<Subscription[]> {
    return (await this.subs.all()).filter((s) => s.topics.includes(topic));
  }

  /** Every conversation subscribed to at least one topic. */
  async subscribed(): Promise<Subscription[]> {
    return (await this.subs.all()).filter((s) => s.topics.length > 0);
  }

  /** Drops a conversation's subscription (the bot was removed or blocked); returns what it was. */
  async drop(conversationKey: string): Promise<Subscription | undefined> {
    const current = await this.subs.get(conversationKey);
    if (current) await this.subs.delete(conversationKey);
    return current;
  }
}
