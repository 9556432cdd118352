/** The words of the subscription commands, shared by subscribe, unsubscribe and subscriptions. */
import { usageError } from '../commands/types';
import { quoted } from '../userText';
import { parseTopics, type Topic, TOPIC_TITLES, TOPICS } from './topics';
import { code, strong, t, text, type Text } from '../text';

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

export function subscriptionText(topics: Topic[]): Text {
  if (topics.length === 0)
    return t`This conversation gets no notices. Say ${code('subscribe versions')} (or failures, idle, digest, all) to start.`;
  const lines = topics.map((topic) => t`\n- ${strong(topic)}: ${TOPIC_TITLES[topic]}`);
  return t`This conversation gets:${text(...lines)}\n\nSay ${code('unsubscribe <topic>')} to stop one.`;
}
