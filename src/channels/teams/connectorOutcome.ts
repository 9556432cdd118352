/**
 * What the Bot Connector's answer to a proactive post means for the outbox: throttling and busy
 * answers (429, 412, 502, 503, 504, or none at all) are worth another try, 403/404 mean the bot is
 * gone from the conversation, anything else will not get better by retrying.
 */
import type { SendOutcome } from '../../core/notifications/outboxWorker';

/** One HTTP attempt as the connector answered it; status 0: no answer (refused, reset, timeout). */
export type ConnectorResult =
  { ok: true; messageId?: string } | { ok: false; status: number; retryAfterMs?: number; code?: string };

const RETRYABLE = new Set([0, 412, 429, 502, 503, 504]);
const GONE = new Set([403, 404]);

export function connectorOutcome(result: ConnectorResult): SendOutcome {
  if (result.ok) return { kind: 'sent', ...(result.messageId ? { messageId: result.messageId } : {}) };
  const { status, code, retryAfterMs } = result;
  const reason = `${status || 'no answer'}${code ? ` ${code}` : ''}`;
  if (GONE.has(status)) return { kind: 'gone', reason, status };
  if (RETRYABLE.has(status))
    return { kind: 'retryLater', reason, status, ...(retryAfterMs !== undefined ? { afterMs: retryAfterMs } : {}) };
  return { kind: 'failed', reason, status };
}
