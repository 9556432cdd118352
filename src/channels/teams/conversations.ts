/**
 * Durable conversation references, for updates and proactive messages after the turn ended.
 * A reference is only stored from an authenticated activity, and only when its serviceUrl host is
 * allow-listed: continuing a conversation sends the bot's token to that URL.
 *
 * A reference is written when what continuing the conversation needs changes (a new conversation,
 * service URL, tenant, bot or channel), not on every activity: a read-only turn writes nothing.
 * Each process remembers what it knows is stored; the first activity of a conversation on a
 * process reads the stored reference instead of writing it.
 */
import { createHash } from 'node:crypto';
import type { ConversationReference } from './sdk';
import { Collection, UNCHANGED } from '../../storage/collection';
import type { Storage } from '../../storage/storage';

/** Conversations whose stored reference this process knows; more are read again when needed. */
const KNOWN_MAX = 10_000;

export class ConversationStore {
  private readonly refs: Collection<{ reference: Partial<ConversationReference>; savedOn: string }>;
  /** Key → what the stored reference says about where and how to continue (see `continuation`). */
  private readonly known = new Map<string, string>();

  constructor(
    storage: Storage,
    private readonly allowedHosts: string[],
  ) {
    this.refs = new Collection(storage, 'conversations');
  }

  static keyOf(conversationId: string): string {
    return createHash('sha256').update(conversationId).digest('hex').slice(0, 40);
  }

  isAllowed(serviceUrl: string | undefined): boolean {
    if (!serviceUrl) return false;
    let host: string;
    try {
      host = new URL(serviceUrl).hostname.toLowerCase();
    } catch {
      return false;
    }
    return this.allowedHosts.some((pattern) => {
      const p = pattern.toLowerCase();
      return p.startsWith('*.') ? host.endsWith(p.slice(1)) : host === p;
    });
  }

  /** Saves the reference and returns its key, or undefined when the service URL is not allowed. */
  async save(raw: Partial<ConversationReference>): Promise<string | undefined> {
    const reference = cleanReference(raw);
    if (!reference.conversation?.id || !this.isAllowed(reference.serviceUrl)) return undefined;
    const key = ConversationStore.keyOf(reference.conversation.id);
    const wanted = continuation(reference);
    if (this.known.get(key) === wanted) return key;
    await this.refs.update(key, (stored) =>
      stored && continuation(stored.reference) === wanted
        ? UNCHANGED
        : { reference, savedOn: new Date().toISOString() },
    );
    this.known.delete(key); // re-inserted last: the Map's order is the eviction order
    this.known.set(key, wanted);
    if (this.known.size > KNOWN_MAX) this.known.delete(this.known.keys().next().value!);
    return key;
  }

  /**
   * Saves the conversation's top level: in a channel, a message's conversation id names its thread
   * (`19:…@thread.tacv2;messageid=…`), and posting there would answer in that thread. Notices for a
   * subscribed channel go to the channel itself, as new posts.
   */
  async saveTopLevel(raw: Partial<ConversationReference>): Promise<string | undefined> {
    const reference = cleanReference(raw);
    const id = reference.conversation?.id;
    if (!id) return undefined;
    const top = id.split(';')[0];
    // Not a thread: the caller's save() of the same reference already stored it.
    if (top === id) return this.isAllowed(reference.serviceUrl) ? ConversationStore.keyOf(id) : undefined;
    const { activityId: _thread, ...rest } = reference;
    return this.save({ ...rest, conversation: { ...reference.conversation!, id: top } });
  }

  async get(key: string): Promise<Partial<ConversationReference> | undefined> {
    const found = await this.refs.get(key);
    return found && this.isAllowed(found.reference.serviceUrl) ? found.reference : undefined;
  }
}

/**
 * The parts of a reference that continuing the conversation uses. The activity id and the sender
 * change on every message and are not needed to post or update later, so they are left out; so is
 * the locale, which alternates between the members of a group chat.
 */
function continuation(ref: Partial<ConversationReference>): string {
  return JSON.stringify([
    ref.conversation?.id,
    ref.conversation?.tenantId,
    ref.conversation?.conversationType,
    ref.conversation?.isGroup,
    ref.serviceUrl,
    ref.channelId,
    ref.bot?.id,
    ref.bot?.name,
  ]);
}

/**
 * Only what a proactive send needs, with the types Teams gives them: the reference is copied from the
 * activity, whose fields a sender chose, and whatever is kept here is stored and reused later.
 */
const LOCALE = /^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,4}$/;

function cleanReference(reference: Partial<ConversationReference>): Partial<ConversationReference> {
  const text = (value: unknown) => (typeof value === 'string' && value.length <= 1000 ? value : undefined);
  const pick = (value: unknown, fields: string[]): Record<string, unknown> | undefined => {
    if (!value || typeof value !== 'object') return undefined;
    const source = value as Record<string, unknown>;
    const out = Object.fromEntries(fields.map((f) => [f, text(source[f])]).filter(([, v]) => v !== undefined));
    return Object.keys(out).length ? out : undefined;
  };
  const conversation = pick(reference.conversation, ['id', 'conversationType', 'tenantId', 'name']);
  const isGroup = (reference.conversation as { isGroup?: unknown } | undefined)?.isGroup;
  const parts: Record<string, unknown> = {
    activityId: text(reference.activityId),
    user: pick(reference.user, ['id', 'name', 'aadObjectId', 'role']),
    bot: pick(reference.bot, ['id', 'name', 'role']),
    conversation: conversation && { ...conversation, ...(typeof isGroup === 'boolean' ? { isGroup } : {}) },
    channelId: text(reference.channelId),
    locale: LOCALE.test(text(reference.locale) ?? '') ? reference.locale : undefined,
    serviceUrl: text(reference.serviceUrl),
  };
  return Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined)) as Partial<ConversationReference>;
}
