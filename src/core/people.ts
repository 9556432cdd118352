/**
 * Who is who in a channel: a person, keyed by the channel and the channel's identity of them (in
 * Teams the normalised Entra object id), → their account id in that channel and their name,
 * learned from every message. Replies that show each person their own view need those account
 * ids, while the policy knows people only by identity.
 *
 * Records live at `people/<channel>~<id>`. Teams records written before there were channels live at
 * `people/<object id as Teams sent it>`: they are read when there is no keyed one, and replaced by
 * one at the person's next message.
 */
import { normaliseObjectId } from './policy/policy';
import { Collection, UNCHANGED } from '../storage/collection';
import type { Storage } from '../storage/storage';
import type { ChatUser } from './request';

/** A person's key: no two channels share an identity space. */
export interface PersonKey {
  channel: string;
  id: string;
}

interface Person {
  channelUserId: string;
  name?: string;
}

const ID = /^[A-Za-z0-9-]{1,64}$/;
const CHANNEL = /^[a-z0-9]{1,20}$/;
/** The channel whose records predate the key's channel part. */
const LEGACY_CHANNEL = 'teams';

export function personId(key: PersonKey): string {
  return `${key.channel}~${normaliseObjectId(key.id)}`;
}

export class PeopleDirectory {
  private readonly people: Collection<Person>;
  /** What this process wrote already, so that a busy chat does not write on every message. */
  private readonly known = new Map<string, string>();

  /** `channel`: the channel whose people this directory learns and answers for ('teams'). */
  constructor(
    storage: Storage,
    private readonly channel: string,
  ) {
    if (!CHANNEL.test(channel)) throw new Error(`Not a channel name: ${channel}`);
    this.people = new Collection(storage, 'people');
  }

  async remember(user: ChatUser): Promise<void> {
    if (!user.id || !user.channelUserId || !ID.test(user.id)) return;
    const id = personId({ channel: this.channel, id: user.id });
    const fingerprint = `${user.channelUserId}\n${user.name ?? ''}`;
    if (this.known.get(id) === fingerprint) return;
    await this.people.update(id, (p) =>
      p && p.channelUserId === user.channelUserId && p.name === user.name
        ? UNCHANGED
        : { channelUserId: user.channelUserId!, ...(user.name ? { name: user.name } : {}) },
    );
    this.known.set(id, fingerprint);
  }

  /** The channel user ids of the given people, for those who have talked to the bot. */
  async channelIds(ids: string[]): Promise<string[]> {
    const valid = [...new Set(ids.filter((id) => ID.test(id)).map(normaliseObjectId))];
    const keyed = await this.people.getManyWithIds(valid.map((id) => personId({ channel: this.channel, id })));
    const found = new Set(keyed.map(([key]) => key.slice(this.channel.length + 1)));
    const missing = valid.filter((id) => !found.has(id));
    const legacy =
      this.channel === LEGACY_CHANNEL && missing.length ? await this.legacy(missing, ids) : ([] as Person[]);
    return [...keyed.map(([, p]) => p), ...legacy].map((p) => p.channelUserId);
  }

  /** Records from before the channel part, stored under the object id as Teams sent it. */
  private async legacy(missing: string[], asGiven: string[]): Promise<Person[]> {
    const spellings = asGiven.filter((id) => ID.test(id) && missing.includes(normaliseObjectId(id)));
    const candidates = [...new Set([...missing, ...spellings])];
    const seen = new Set<string>();
    return (await this.people.getManyWithIds(candidates)).flatMap(([id, p]) => {
      const norm = normaliseObjectId(id);
      if (seen.has(norm)) return [];
      seen.add(norm);
      return [p];
    });
  }
}
