/**
 * Who is who in the channel: Entra object id → the channel's own user id and name, learned from
 * every message. Cards that personalize their view per user (refresh.userIds) need the channel ids
 * of the approvers, which the policy only knows by object id.
 */
import { Collection, UNCHANGED } from '../storage/collection';
import type { Storage } from '../storage/storage';
import type { ChatUser } from './request';

interface Person {
  channelUserId: string;
  name?: string;
}

export class PeopleDirectory {
  private readonly people: Collection<Person>;
  /** What this process wrote already, so that a busy chat does not write on every message. */
  private readonly known = new Map<string, string>();

  constructor(storage: Storage) {
    this.people = new Collection(storage, 'people');
  }

  async remember(user: ChatUser): Promise<void> {
    if (!user.id || !user.channelUserId || !/^[A-Za-z0-9-]{1,64}$/.test(user.id)) return;
    const fingerprint = `${user.channelUserId}\n${user.name ?? ''}`;
    if (this.known.get(user.id) === fingerprint) return;
    await this.people.update(user.id, (p) =>
      p && p.channelUserId === user.channelUserId && p.name === user.name
        ? UNCHANGED
        : { channelUserId: user.channelUserId!, ...(user.name ? { name: user.name } : {}) },
    );
    this.known.set(user.id, fingerprint);
  }

  /** The channel user ids of the given people, for those who have talked to the bot. */
  async channelIds(objectIds: string[]): Promise<string[]> {
    const valid = [...new Set(objectIds)].filter((id) => /^[A-Za-z0-9-]{1,64}$/.test(id));
    return (await this.people.getMany(valid)).map((p) => p.channelUserId);
  }
}
