/**
 * Turns a core reply into what Teams shows: an Adaptive Card where the reply has one, markdown
 * text otherwise (plain answers and errors). Also the invoke responses of Action.Execute.
 */
import { type Activity, ActivityTypes, type AdaptiveCardInvokeResponse, CardFactory } from '../sdk';
import { cardFor } from '../cards';
import type { Reply } from '../../../core/replies';
import { unreachable } from '../../../unreachable';
import { toMarkdown } from './markdown';

export function toActivity(reply: Reply): Partial<Activity> {
  const card = cardFor(reply);
  if (card)
    return { type: ActivityTypes.Message, attachments: [CardFactory.adaptiveCard(card)], summary: summaryOf(reply) };
  return { type: ActivityTypes.Message, text: toMarkdown(reply), textFormat: 'markdown' };
}

/** The answer to an Action.Execute: the card that replaces the clicked one, or a message. */
export function toInvokeResponse(reply: Reply): AdaptiveCardInvokeResponse {
  const card = cardFor(reply);
  if (card) return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card };
  return {
    statusCode: 200,
    type: 'application/vnd.microsoft.activity.message',
    value: toMarkdown(reply) as unknown as Record<string, unknown>,
  };
}

/** The text notifications and the chat list show for a card. */
function summaryOf(reply: Reply): string {
  switch (reply.kind) {
    case 'operation':
      return reply.title;
    case 'runtimeDetail':
      return `${reply.runtime.name}: ${reply.runtime.status}`;
    case 'summary':
      return reply.title ?? 'On-call summary';
    case 'versions':
      return reply.notice ? `New base image ${reply.notice.tag}` : 'Base image versions';
    case 'alert':
      return `${reply.alert.runtime}: ${reply.alert.kind === 'failure' ? 'failed' : reply.alert.kind === 'idleWarning' ? 'idle shutdown soon' : 'stopped when idle'}`;
    case 'retirement':
      return 'Prompt flow retirement: your runtimes';
    case 'retirementNotice':
      return reply.retirement.daysLeft === 1
        ? 'Prompt flow retires tomorrow'
        : `Prompt flow retires in ${reply.retirement.daysLeft} days`;
    case 'help':
    case 'welcome':
    case 'runtimeList':
    case 'versionCheck':
    case 'approval':
    case 'createForm':
    case 'installForm':
    case 'editForm':
    case 'text': // the kinds sent as text have no card to summarise
    case 'error':
    case 'retirementExport':
    case 'approvals':
    case 'audit':
    case 'roles':
      return 'Prompt flow runtimes';
    default:
      return unreachable(reply, 'reply kind');
  }
}
