/**
 * The root span of every activity the channel sends (`turn <command>`), its replies as child spans,
 * and the `bot.turn.duration` metric, labelled with what the core ran (turnLabel.ts). Proactive
 * continuations (card updates, notifications) are not turns: they get spans of their own.
 */
import { type Attributes, context, SpanKind, trace } from '@opentelemetry/api';
import type { Activity, Middleware, TurnContext } from '../channels/teams/sdk';
import { correlationIdOf } from '../channels/teams/middleware/correlation';
import { instruments } from './metrics';
import { errorType, failSpan, inSpan, secondsSince, tracer } from './tracer';
import { TURN_LABEL, type TurnLabel } from './turnLabel';

export function turnTelemetry(): Middleware {
  return {
    async onTurn(turn: TurnContext, next: () => Promise<void>): Promise<void> {
      const activity = turn.activity;
      if (isContinuation(activity)) return next();
      const started = performance.now();
      const label: TurnLabel = {};
      const span = tracer('bot').startSpan(`turn ${activity.type}`, {
        kind: SpanKind.SERVER,
        attributes: {
          'bot.activity.type': activity.type,
          'bot.channel.id': activity.channelId,
          'bot.correlation_id': correlationIdOf(turn),
          ...(activity.conversation?.conversationType
            ? { 'bot.conversation.type': activity.conversation.conversationType }
            : {}),
          ...(tenantOf(activity) ? { 'bot.tenant.id': tenantOf(activity) } : {}),
        },
      });
      turn.onSendActivities((_ctx, activities, send) =>
        inSpan(
          'bot',
          'send activities',
          { kind: SpanKind.CLIENT, attributes: { 'bot.activities': activities.length } },
          () => send(),
        ),
      );
      const metric: Attributes = { 'bot.activity.type': activity.type };
      try {
        await context.with(trace.setSpan(context.active(), span).setValue(TURN_LABEL, label), next);
      } catch (error) {
        failSpan(span, error);
        metric['error.type'] = errorType(error);
        throw error;
      } finally {
        if (label.command) metric['bot.command'] = label.command;
        if (label.verb) metric['bot.card.verb'] = label.verb;
        const name = label.command ?? label.verb;
        if (name) span.updateName(`turn ${name}`);
        span.setAttributes(metric);
        span.end();
        instruments().turnDuration.record(secondsSince(started), metric);
      }
    },
  };
}

function isContinuation(activity: Activity): boolean {
  return activity.type === 'event' && activity.name === 'ContinueConversation';
}

function tenantOf(activity: Activity): string | undefined {
  const fromData = (activity.channelData as { tenant?: { id?: unknown } } | undefined)?.tenant?.id;
  const id = typeof fromData === 'string' ? fromData : activity.conversation?.tenantId;
  return id ? id.slice(0, 64) : undefined;
}
