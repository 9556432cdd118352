/** Turns a Bot Framework activity into the core's channel-free ChatRequest. */
import { randomUUID } from 'node:crypto';
import type { Activity } from './sdk';
import type { CardActionRequest } from '../../core/actions/types';
import type { ChatAttachment, ChatConversation, ChatRequest } from '../../core/request';
import { requirementsMasker } from '../../domain/requirements';

export function toChatRequest(
  activity: Activity,
  receivedAt: number,
  correlationId: string = randomUUID(),
): ChatRequest {
  const tenantId = tenantOf(activity);
  return {
    user: {
      id: activity.from?.aadObjectId ?? '',
      ...(activity.from?.name ? { name: activity.from.name } : {}),
      ...(activity.from?.id ? { channelUserId: activity.from.id } : {}),
      ...(tenantId ? { tenantId } : {}),
    },
    conversation: {
      id: activity.conversation?.id ?? '',
      type: conversationType(activity),
      ...(tenantId ? { tenantId } : {}),
      ...(activity.conversation?.name ? { name: activity.conversation.name } : {}),
    },
    text: activity.text ?? '',
    attachments: (Array.isArray(activity.attachments) ? activity.attachments : [])
      .filter(isObject)
      .flatMap(toAttachment),
    ...(activity.id ? { messageId: activity.id } : {}),
    correlationId,
    receivedAt,
  };
}

/** The tenant Teams names in channelData (or on the conversation); only text counts, whatever a client sends. */
export function tenantOf(activity: Partial<Activity>): string | undefined {
  const channelData = activity.channelData as { tenant?: { id?: unknown } } | undefined;
  const conversation = activity.conversation as { tenantId?: unknown } | undefined;
  const id = channelData?.tenant?.id ?? conversation?.tenantId;
  return typeof id === 'string' && id ? id : undefined;
}

function conversationType(activity: Activity): ChatConversation['type'] {
  const t = activity.conversation?.conversationType;
  if (t === 'channel') return 'channel';
  if (t === 'groupChat') return 'groupChat';
  return 'personal';
}

function toAttachment(a: {
  contentType: string;
  name?: string;
  content?: unknown;
  contentUrl?: string;
}): ChatAttachment[] {
  if (a.contentType === 'application/vnd.microsoft.teams.file.download.info') {
    const info = a.content as { downloadUrl?: string } | undefined;
    return info?.downloadUrl
      ? [{ contentType: a.contentType, downloadUrl: info.downloadUrl, ...(a.name ? { name: a.name } : {}) }]
      : [];
  }
  if (a.contentType === 'text/plain' || /\.txt$/i.test(a.name ?? '')) {
    return [
      {
        contentType: a.contentType,
        ...(a.name ? { name: a.name } : {}),
        ...(typeof a.content === 'string' ? { content: a.content } : {}),
        ...(a.contentUrl ? { downloadUrl: a.contentUrl } : {}),
      },
    ];
  }
  return [];
}

/** An Action.Execute (or its Action.Submit fallback) as the core's CardActionRequest. */
export function toActionRequest(
  activity: Activity,
  verb: unknown,
  data: unknown,
  receivedAt: number,
  correlationId?: string,
): CardActionRequest {
  const chat = toChatRequest(activity, receivedAt, correlationId);
  const fields =
    data && typeof data === 'object' && !Array.isArray(data) ? { ...(data as Record<string, unknown>) } : {};
  delete fields.verb;
  maskFeedTokens(fields);
  return {
    user: chat.user,
    conversation: chat.conversation,
    verb: typeof verb === 'string' ? verb.slice(0, 100) : '',
    data: fields,
    ...(activity.replyToId ? { messageId: activity.replyToId } : {}),
    correlationId: chat.correlationId,
    receivedAt,
  };
}

/**
 * A feed token may be typed into any field of a form (a description, a reason); like the command
 * parser does for chat text, the edge masks it before anything can echo, store or log it. Only the
 * requirement lines keep it whole: the runtime service needs it to install, and stores them masked.
 */
function maskFeedTokens(fields: Record<string, unknown>): void {
  const texts = Object.values(fields).filter((v): v is string => typeof v === 'string');
  if (texts.length === 0) return;
  const mask = requirementsMasker(texts.join('\n'));
  for (const [name, value] of Object.entries(fields))
    if (typeof value === 'string' && name !== 'requirements') fields[name] = mask(value);
}

function isObject(value: unknown): value is { contentType: string } {
  return (
    typeof value === 'object' && value !== null && typeof (value as { contentType?: unknown }).contentType === 'string'
  );
}
