/** The words of the subscription commands, shared by subscribe, unsubscribe and subscriptions. */
import { usageError } from '../commands/types';
import { quoted } from '../userText';
import { parseTopics, type Topic, TOPIC_TITLES, TOPICS } from './topics';

export function topicsArg(words: string[]): Topic[] {
  const { topics, unknown } = parseTopics(words);
  if (unknown.length)
    throw usageError(`Unknown topic ${unknown.map((u) => quoted(u, 30)).join(', ')}: use ${TOPICS.join(', ')} or all.`);
  return topics;
}

export function describeTopics(topics: Topic[]): string {
  if (topics.length === TOPICS.length) return 'every topic';
  return topics.join(', ');
}

export function subscriptionText(topics: Topic[]): string {
  if (topics.length === 0)
    return 'This conversation gets no notices. Say `subscribe versions` (or failures, idle, digest, all) to start.';
  return `This conversation gets:\n${topics.map((t) => `- **${t}**: ${TOPIC_TITLES[t]}`).join('\n')}\n\nSay \`unsubscribe <topic>\` to stop one.`;
}
