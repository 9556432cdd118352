/**
 * The activity a request carries, with every field the bot or botbuilder reads of the type the Bot
 * Framework schema gives it. Teams always sends them so; anything else sent to /api/messages is
 * untrusted, and a number where botbuilder expects text fails deep inside a reply. A field of the
 * wrong type is dropped, as if it were absent. Without a type, a conversation id or an http(s)
 * service URL there is nothing to answer, and the request is a client's mistake (400).
 */
import type { Activity } from './sdk';

const TEXT_FIELDS = [
  'id',
  'replyToId',
  'channelId',
  'locale',
  'text',
  'textFormat',
  'name',
  'action',
  'localTimezone',
  'callerId',
  'summary',
] as const;
const ACCOUNT_FIELDS = ['id', 'name', 'aadObjectId', 'role'];
const CONVERSATION_FIELDS = ['id', 'name', 'conversationType', 'tenantId'];

export type ActivityReading = { activity: Activity } | { problem: string };

/**
 * Ids a reply puts in the Bot Connector's URL path (`/v3/conversations/{id}/activities/{replyToId}`).
 * Teams' own are well under this; a longer one would make every reply fail at the connector
 * (an overlong request line), so the activity cannot be answered and is refused at the door.
 */
export const MAX_ID_LENGTH = 512;

export function readActivity(body: unknown): ActivityReading {
  if (!isRecord(body) || typeof body.type !== 'string' || !body.type)
    return { problem: 'The body must be a Bot Framework activity with a type.' };
  const activity: Record<string, unknown> = { ...body };
  for (const field of TEXT_FIELDS) if (field in activity && typeof activity[field] !== 'string') delete activity[field];
  for (const field of ['from', 'recipient'] as const) setOrDrop(activity, field, account(activity[field]));
  const conversation = texts(activity.conversation, CONVERSATION_FIELDS);
  const isGroup = isRecord(activity.conversation) ? activity.conversation.isGroup : undefined;
  if (!conversation?.id) return { problem: 'The activity has no conversation id.' };
  for (const [what, id] of [
    ['conversation id', conversation.id],
    ['id', activity.id],
    ['replyToId', activity.replyToId],
  ] as const)
    if (typeof id === 'string' && id.length > MAX_ID_LENGTH)
      return {
        problem: `The activity's ${what} is longer than ${MAX_ID_LENGTH} characters: no reply could address it.`,
      };
  activity.conversation = { ...conversation, ...(typeof isGroup === 'boolean' ? { isGroup } : {}) };
  if (typeof activity.serviceUrl !== 'string' || !/^https?:\/\/[^\s/]+/i.test(activity.serviceUrl))
    return { problem: 'The activity has no http(s) service URL to answer at.' };
  for (const field of ['membersAdded', 'membersRemoved'] as const)
    setOrDrop(activity, field, Array.isArray(activity[field]) ? activity[field].flatMap(accountList) : undefined);
  for (const field of ['attachments', 'entities'] as const)
    setOrDrop(activity, field, Array.isArray(activity[field]) ? activity[field].filter(isRecord) : undefined);
  if ('channelData' in activity && !isRecord(activity.channelData)) delete activity.channelData;
  // Times become Dates, as CloudAdapter.process does.
  for (const field of ['timestamp', 'localTimestamp', 'expiration'] as const) {
    const value = activity[field];
    delete activity[field];
    if (typeof value === 'string') {
      activity[`raw${field[0].toUpperCase()}${field.slice(1)}`] = value;
      activity[field] = new Date(value);
    }
  }
  return { activity: activity as unknown as Activity };
}

function account(value: unknown): Record<string, string> | undefined {
  const fields = texts(value, ACCOUNT_FIELDS);
  return fields?.id !== undefined || fields?.aadObjectId !== undefined ? fields : undefined;
}

function accountList(value: unknown): Record<string, string>[] {
  const found = account(value);
  return found?.id ? [found] : [];
}

/** The text members among `fields`, or undefined when the value is not an object. */
function texts(value: unknown, fields: string[]): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  return Object.fromEntries(fields.flatMap((f) => (typeof value[f] === 'string' ? [[f, value[f] as string]] : [])));
}

function setOrDrop(activity: Record<string, unknown>, field: string, value: unknown): void {
  if (value === undefined) delete activity[field];
  else activity[field] = value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
