/**
 * What the bot sends outside a turn, as spans of their own: progress-card updates (linked to the
 * turn that started following the operation), card updates in general, and queued notifications
 * from queueing to each send (`bot.notification.sends` counts the outcomes, 429s included).
 * `bot.outbox.depth` reports how many sends are waiting, as every replica sees the shared queue.
 */
import { SpanKind } from '@opentelemetry/api';
import type { Operation } from '../domain/runtime';
import type { Notification, OutboxItem } from '../core/notifications/outbox';
import type { SendOutcome } from '../core/notifications/outboxWorker';
import type { Reply } from '../core/replies';
import type { MessageUpdater } from '../core/tracking/tracker';
import { instruments } from './metrics';
import { telemetryOn } from './switch';
import { inSpan, markFailed } from './tracer';
import { linksTo } from './traceparent';

/** The updater itself while telemetry is off; otherwise each update is a `card update` span. */
export function tracedUpdater(updater: MessageUpdater): MessageUpdater {
  if (!telemetryOn()) return updater;
  return {
    update: (conversationKey, messageId, reply) =>
      inSpan('bot', 'card update', { kind: SpanKind.CLIENT, attributes: replyAttributes(reply) }, () =>
        updater.update(conversationKey, messageId, reply),
      ),
  };
}

/** The tracker's update of an operation's progress card: a root span linked to where tracking began. */
export function traceProgress(
  tracked: { traceparent?: string },
  operation: Operation,
  update: () => Promise<void>,
): Promise<void> {
  if (!telemetryOn()) return update();
  const options = {
    kind: SpanKind.INTERNAL,
    root: true,
    links: linksTo(tracked.traceparent),
    attributes: {
      'runtime.operation.id': operation.id,
      'runtime.operation.kind': operation.kind,
      'runtime.operation.status': operation.status,
    },
  };
  return inSpan('bot', `operation progress ${operation.kind}`, options, update);
}

/** Queueing one notification for its subscribers; the notification keeps this span's context. */
export function traceNotificationQueue<T>(
  notification: { id: string; topic: string },
  queue: () => Promise<T>,
): Promise<T> {
  if (!telemetryOn()) return queue();
  const attributes = { 'notification.id': notification.id, 'notification.topic': notification.topic };
  return inSpan('bot', `notification queue ${notification.topic}`, { attributes }, queue);
}

/** One attempt to post a queued notification: a root span linked to its queueing, and the counter. */
export async function traceNotificationSend(
  notification: Notification,
  item: OutboxItem,
  send: () => Promise<SendOutcome>,
): Promise<SendOutcome> {
  if (!telemetryOn()) return send();
  const options = {
    kind: SpanKind.PRODUCER,
    root: true,
    links: linksTo(notification.traceparent),
    attributes: {
      'notification.id': notification.id,
      'notification.topic': notification.topic,
      'notification.attempt': item.attempts + 1,
    },
  };
  return inSpan('bot', `notification send ${notification.topic}`, options, async (span) => {
    const outcome = await send();
    const labels = {
      'notification.topic': notification.topic,
      'notification.outcome': outcome.kind === 'sent' ? 'sent' : 'refused',
      // 0: no HTTP answer (refused connection, timeout); 429: Teams throttled the bot.
      ...(outcome.kind !== 'sent' && outcome.status !== undefined
        ? { 'http.response.status_code': outcome.status }
        : {}),
    };
    span.setAttributes(labels);
    if (outcome.kind !== 'sent') markFailed(span, outcome.reason);
    instruments().notificationSends.add(1, labels);
    return outcome;
  });
}

/** Reports the queue's length at each metric collection; returns the function that stops it. */
export function observeOutboxDepth(pending: () => Promise<number>): () => void {
  if (!telemetryOn()) return () => undefined;
  const gauge = instruments().meter.createObservableGauge('bot.outbox.depth', {
    unit: '{item}',
    description: 'Notification sends waiting in the shared outbox',
  });
  const observe = async (result: { observe(value: number): void }) => result.observe(await pending());
  gauge.addCallback(observe);
  return () => gauge.removeCallback(observe);
}

function replyAttributes(reply: Reply): Record<string, string> {
  return {
    'bot.reply.kind': reply.kind,
    ...(reply.kind === 'operation'
      ? { 'runtime.operation.id': reply.operation.id, 'runtime.operation.status': reply.operation.status }
      : {}),
  };
}
