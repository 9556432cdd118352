/**
 * What the core knows of a chat message: who, where, what. Channel edges (Teams now, Slack later)
 * build it from their own activity shapes; nothing in the core knows Bot Framework.
 */
export interface ChatUser {
  /** Entra object id: the only identity used for authorization. */
  id: string;
  name?: string;
  tenantId?: string;
  /** The channel's own id of the user (Teams' 29:… id), for cards addressed to them. */
  channelUserId?: string;
}

export interface ChatConversation {
  id: string;
  type: 'personal' | 'groupChat' | 'channel';
  tenantId?: string;
  name?: string;
  /** Durable key of the conversation's stored address, when the channel could store one (needed to post later). */
  key?: string;
}

export interface ChatAttachment {
  name?: string;
  contentType: string;
  /** Inline content (text attachments). */
  content?: string;
  /** Where to download it (Teams file attachments). */
  downloadUrl?: string;
}

export interface ChatRequest {
  user: ChatUser;
  conversation: ChatConversation;
  text: string;
  attachments: ChatAttachment[];
  /** The channel's message id, for deduplicating redeliveries. */
  messageId?: string;
  correlationId: string;
  /** When the message was received (epoch ms). */
  receivedAt: number;
}
