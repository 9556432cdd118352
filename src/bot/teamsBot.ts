/**
 * The thin Teams activity handler: it maps activities to the core and replies back. No business
 * logic lives here; the core answers with view models and this file only sends them.
 */
import { TeamsActivityHandler, TurnContext } from 'botbuilder';
import type { Clock } from '../clock';
import type { Dispatcher } from '../core/dispatcher';
import type { OperationTracker } from '../core/tracking/tracker';
import type { Logger } from '../logger';
import { toChatRequest } from './activityMapper';
import { ConversationStore } from './conversations';
import { toActivity } from './render/activity';

export interface TeamsBotDeps {
  dispatcher: Dispatcher;
  tracker: OperationTracker;
  conversations: ConversationStore;
  clock: Clock;
  log: Logger;
}

export class TeamsBot extends TeamsActivityHandler {
  constructor(private readonly deps: TeamsBotDeps) {
    super();
    this.onMessage(async (context, next) => {
      await this.handleMessage(context);
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      const botId = context.activity.recipient?.id;
      if (context.activity.membersAdded?.some((m) => m.id === botId)) {
        await this.remember(context);
        await context.sendActivity(
          toActivity({
            kind: 'text',
            text: "Hi! I manage prompt flow runtimes from chat. Say `status` for the on-call summary, `list` for every runtime, or `help` for all I can do.",
          }),
        );
      }
      await next();
    });
  }

  private async handleMessage(context: TurnContext): Promise<void> {
    const request = toChatRequest(context.activity, this.deps.clock.now());
    if (!request.user.id) {
      await context.sendActivity('I can only act for signed-in Microsoft 365 users.');
      return;
    }
    const conversationKey = await this.remember(context);
    const replies = await this.deps.dispatcher.handle(request);
    for (const reply of replies) {
      const sent = await context.sendActivity(toActivity(reply));
      if (reply.kind === 'operation' && sent?.id && conversationKey && !isDone(reply.operation.status)) {
        await this.deps.tracker.track(reply.operation, conversationKey, sent.id, reply.title);
      }
    }
  }

  private async remember(context: TurnContext): Promise<string | undefined> {
    const reference = TurnContext.getConversationReference(context.activity);
    const key = await this.deps.conversations.save(reference);
    if (!key) this.deps.log.warn('conversation reference not stored: service URL not allowed', { serviceUrl: reference.serviceUrl });
    return key;
  }
}

function isDone(status: string): boolean {
  return status === 'Succeeded' || status === 'Failed';
}
