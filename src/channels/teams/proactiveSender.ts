/**
 * Posts notifications into conversations through their stored references. Each call is one HTTP
 * attempt: the outbox decides about retries, so the connector client's own retry policy (which
 * would re-post a message the service may already have accepted, and ignore our rate limits) is
 * not used here. Failures come back judged for the outbox (connectorOutcome.ts), never as exceptions.
 */
import type { CloudAdapter } from './sdk';
import type { Reply } from '../../core/replies';
import type { NotificationSender, SendOutcome } from '../../core/notifications/outboxWorker';
import type { Logger } from '../../logger';
import { type ConnectorResult, connectorOutcome } from './connectorOutcome';
import type { ConversationStore } from './conversations';
import { TEAMS_CONVERSATION_WINDOWS } from './limits';
import { toActivity } from './render/activity';
import { parseRetryAfter } from '../../infra/retry';

export class TeamsNotificationSender implements NotificationSender {
  readonly conversationWindows = TEAMS_CONVERSATION_WINDOWS;

  constructor(
    private readonly adapter: CloudAdapter,
    private readonly appId: string,
    private readonly conversations: ConversationStore,
    private readonly log: Logger,
  ) {}

  async send(conversationKey: string, reply: Reply): Promise<SendOutcome> {
    const result = await this.post(conversationKey, reply);
    if (!result.ok)
      this.log.debug('proactive send refused', { conversationKey, status: result.status, code: result.code });
    return connectorOutcome(result);
  }

  private async post(conversationKey: string, reply: Reply): Promise<ConnectorResult> {
    const reference = await this.conversations.get(conversationKey);
    if (!reference) return { ok: false, status: 404, code: 'NoConversationReference' };
    let outcome: ConnectorResult = { ok: false, status: 0, code: 'NotAttempted' };
    const { activityId: _last, ...newMessage } = reference;
    // The error is caught inside the callback: the adapter's turn-error handler would swallow it.
    const post = this.adapter.continueConversationAsync(this.appId, newMessage, async (context) => {
      // A new message, not a reply to the continuation's made-up activity id.
      context.onSendActivities(async (_ctx, activities, next) => {
        for (const a of activities) delete a.replyToId;
        return next();
      });
      try {
        const id = (await context.sendActivity(toActivity(reply)))?.id;
        outcome = { ok: true, ...(id ? { messageId: id } : {}) };
      } catch (error) {
        outcome = failureOf(error);
      }
    });
    await post.catch((error) => {
      outcome = failureOf(error);
    });
    return outcome;
  }
}

interface RestErrorLike {
  statusCode?: number;
  code?: string;
  message?: string;
  response?: { headers?: { get?(name: string): string | undefined | null }; bodyAsText?: string | null };
}

function failureOf(error: unknown): Extract<ConnectorResult, { ok: false }> {
  const e = (error ?? {}) as RestErrorLike;
  const status = typeof e.statusCode === 'number' ? e.statusCode : 0;
  const retryAfterMs = parseRetryAfter(e.response?.headers?.get?.('retry-after'), Date.now());
  return {
    ok: false,
    status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(codeOf(e) ? { code: codeOf(e)! } : {}),
  };
}

/** The connector's error code (BotNotInConversationRoster, MessageWritesBlocked…), if it sent one. */
function codeOf(e: RestErrorLike): string | undefined {
  const body = e.response?.bodyAsText;
  if (body) {
    try {
      const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
      if (typeof code === 'string') return code.slice(0, 80);
    } catch {
      // not JSON
    }
  }
  return typeof e.code === 'string' && e.code !== 'REQUEST_SEND_ERROR' ? e.code.slice(0, 80) : undefined;
}
