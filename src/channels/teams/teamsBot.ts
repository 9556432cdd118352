/**
 * The thin Teams activity handler: it maps activities to the core and replies back. No business
 * logic lives here; the core answers with view models and this file only sends them.
 */
import {
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
  type InvokeResponse,
  TeamsActivityHandler,
  TurnContext,
} from './sdk';
import type { Clock } from '../../clock';
import type { ActionRouter } from '../../core/actionRouter';
import type { ApprovalService } from '../../core/approvals/service';
import type { PeopleDirectory } from '../../core/people';
import type { Dispatcher } from '../../core/dispatcher';
import type { Reply } from '../../core/replies';
import type { OperationTracker } from '../../core/tracking/tracker';
import type { Logger } from '../../logger';
import { toActionRequest, toChatRequest } from './activityMapper';
import type { ConversationStore } from './conversations';
import { correlationIdOf } from './middleware/correlation';
import { toActivity, toInvokeResponse } from './render/activity';
import { text } from '../../core/text';

export interface TeamsBotDeps {
  dispatcher: Dispatcher;
  actions: ActionRouter;
  approvals: ApprovalService;
  people: PeopleDirectory;
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
        await context.sendActivity(toActivity(this.deps.dispatcher.welcome()));
      }
      await next();
    });
  }

  /**
   * Card actions are the only invokes the bot takes (its manifest offers no others). Anything else, or
   * a card action without an Action.Execute in its value, is a client's mistake: 400 with a reason.
   * botbuilder would answer the first with 501 and trip over the second (a turn error, then 501).
   */
  protected override async onInvokeActivity(context: TurnContext): Promise<InvokeResponse> {
    const { name, value } = context.activity as { name?: unknown; value?: unknown };
    if (name !== 'adaptiveCard/action') return badInvoke('This bot handles card actions (adaptiveCard/action) only.');
    const action = (value as { action?: unknown } | undefined)?.action;
    if (!isRecord(value) || !isRecord(action) || action.type !== 'Action.Execute')
      return badInvoke('A card action needs an Action.Execute with a verb and its data.');
    return super.onInvokeActivity(context);
  }

  /** Action.Execute: answer at once with the next card; slow work is tracked and updates it later. */
  protected override async onAdaptiveCardInvoke(
    context: TurnContext,
    invoke: AdaptiveCardInvokeValue,
  ): Promise<AdaptiveCardInvokeResponse> {
    const request = toActionRequest(
      context.activity,
      invoke.action.verb,
      invoke.action.data,
      this.deps.clock.now(),
      correlationIdOf(context),
    );
    if (!request.user.id)
      return toInvokeResponse({ kind: 'error', text: text('I can only act for signed-in Microsoft 365 users.') });
    const conversationKey = await this.remember(context);
    const topLevelKey = conversationKey && (await this.rememberTopLevel(context));
    if (topLevelKey) request.conversation.key = topLevelKey;
    await this.deps.people.remember(request.user);
    const reply = await this.deps.actions.handle(request);
    if (context.activity.replyToId) await this.track(reply, conversationKey, context.activity.replyToId);
    return toInvokeResponse(reply);
  }

  private async handleMessage(context: TurnContext): Promise<void> {
    const activity = context.activity;
    const conversationKey = await this.remember(context);
    // Older clients send Action.Submit (the cards' fallback) as a message whose value holds the verb.
    const submitted = activity.value as { verb?: unknown } | undefined;
    if (!activity.text && typeof submitted?.verb === 'string') {
      const request = toActionRequest(
        activity,
        submitted.verb,
        submitted,
        this.deps.clock.now(),
        correlationIdOf(context),
      );
      if (!request.user.id)
        return void (await context.sendActivity('I can only act for signed-in Microsoft 365 users.'));
      const reply = await this.deps.actions.handle(request);
      const sent = await context.sendActivity(toActivity(reply));
      if (sent?.id) await this.track(reply, conversationKey, sent.id);
      return;
    }
    const request = toChatRequest(activity, this.deps.clock.now(), correlationIdOf(context));
    const topLevelKey = conversationKey && (await this.rememberTopLevel(context));
    if (topLevelKey) request.conversation.key = topLevelKey;
    if (!request.user.id) {
      await context.sendActivity('I can only act for signed-in Microsoft 365 users.');
      return;
    }
    await this.deps.people.remember(request.user);
    for (const reply of await this.deps.dispatcher.handle(request)) {
      const sent = await context.sendActivity(toActivity(reply));
      if (sent?.id) await this.track(reply, conversationKey, sent.id);
    }
  }

  /** Operations still running are followed, and their message is updated until they end. */
  private async track(reply: Reply, conversationKey: string | undefined, messageId: string): Promise<void> {
    if (!conversationKey) return;
    // A new approval request: its card is updated for everyone on every vote, so remember where it is.
    if (reply.kind === 'approval' && !reply.approval.messageId) {
      await this.deps.approvals.attachMessage(reply.approval.id, conversationKey, messageId);
      return;
    }
    if (reply.kind !== 'operation' || isDone(reply.operation.status)) return;
    await this.deps.tracker.track(reply.operation, conversationKey, messageId, reply.title);
  }

  /** Where notices for this conversation go: a channel's top level rather than this thread. */
  private rememberTopLevel(context: TurnContext): Promise<string | undefined> {
    return this.deps.conversations.saveTopLevel(TurnContext.getConversationReference(context.activity));
  }

  private async remember(context: TurnContext): Promise<string | undefined> {
    const reference = TurnContext.getConversationReference(context.activity);
    const key = await this.deps.conversations.save(reference);
    if (!key)
      this.deps.log.warn('conversation reference not stored: service URL not allowed', {
        serviceUrl: reference.serviceUrl,
      });
    return key;
  }
}

function badInvoke(message: string): InvokeResponse {
  const body = { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest', message } };
  return { status: 400, body };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDone(status: string): boolean {
  return status === 'Succeeded' || status === 'Failed';
}
