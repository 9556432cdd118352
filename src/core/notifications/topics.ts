/** What a conversation can subscribe to. `all` is shorthand for every topic. */
export const TOPICS = ['versions', 'failures', 'idle', 'digest'] as const;
export type Topic = (typeof TOPICS)[number];
/** What a queued notification is about: a topic, or the retirement notice every subscriber gets. */
export type NoticeTopic = Topic | 'retirement';

export const TOPIC_TITLES: Record<Topic, string> = {
  versions: 'new base-image versions, with the outdated runtimes',
  failures: 'runtime failures',
  idle: 'idle shutdowns (a warning before, a notice after)',
  digest: 'the daily on-call digest',
};

/** Parses `versions failures`, `all`, or nothing (= all); returns the unknown words separately. */
export function parseTopics(words: string[]): { topics: Topic[]; unknown: string[] } {
  const topics = new Set<Topic>();
  const unknown: string[] = [];
  for (const raw of words.flatMap((w) => w.split(','))) {
    const word = raw.trim().toLowerCase();
    if (!word) continue;
    if (word === 'all') TOPICS.forEach((t) => topics.add(t));
    else if ((TOPICS as readonly string[]).includes(word)) topics.add(word as Topic);
    else if (word === 'version') topics.add('versions');
    else if (word === 'failure' || word === 'failed') topics.add('failures');
    else unknown.push(raw.trim());
  }
  if (topics.size === 0 && unknown.length === 0) TOPICS.forEach((t) => topics.add(t));
  return { topics: TOPICS.filter((t) => topics.has(t)), unknown };
}
