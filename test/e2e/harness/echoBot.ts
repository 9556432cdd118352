import {
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
  CardFactory,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  TeamsActivityHandler,
  TurnContext,
} from 'botbuilder';
import restify from 'restify';
import { freePort } from './playground';

// A tiny bot to prove the harness: echoes text; "card" answers with an Action.Execute card whose invoke
// returns a replacement card.

export interface EchoBot {
  endpoint: string;
  /** Activities the bot received, newest last (for asserting on ids, mentions, conversation types). */
  received: { type: string; text?: string; conversationType?: string; fromAadObjectId?: string; name?: string }[];
  stop(): Promise<void>;
}

export function originalCard(): Record<string, unknown> {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [
      { type: 'TextBlock', text: 'Deploy runtime rt-42?', weight: 'Bolder' },
      { type: 'Input.Text', id: 'reason', label: 'Reason', placeholder: 'Why?' },
    ],
    actions: [{ type: 'Action.Execute', title: 'Approve', verb: 'approve', data: { runtime: 'rt-42' } }],
  };
}

class Bot extends TeamsActivityHandler {
  constructor(private readonly log: EchoBot['received']) {
    super();
    this.onMessage(async (ctx, next) => {
      this.record(ctx);
      // Channel posts start with "<at>Bot</at>"; drop it like a real Teams bot would.
      const text = TurnContext.removeRecipientMention(ctx.activity)?.trim() ?? '';
      if (text === 'card') await ctx.sendActivity({ attachments: [CardFactory.adaptiveCard(originalCard())] });
      else await ctx.sendActivity(`echo: ${text}`);
      await next();
    });
  }

  protected override async onAdaptiveCardInvoke(
    ctx: TurnContext,
    value: AdaptiveCardInvokeValue,
  ): Promise<AdaptiveCardInvokeResponse> {
    this.record(ctx);
    const data = value.action.data as { runtime?: string; reason?: string };
    return {
      statusCode: 200,
      type: 'application/vnd.microsoft.card.adaptive',
      value: {
        type: 'AdaptiveCard',
        version: '1.5',
        body: [
          {
            type: 'TextBlock',
            text: `Approved ${data.runtime} by ${ctx.activity.from.name} (${data.reason || 'no reason'})`,
          },
        ],
      },
    };
  }

  private record(ctx: TurnContext): void {
    const a = ctx.activity;
    this.log.push({
      type: a.type,
      text: a.text,
      name: a.name,
      conversationType: a.conversation.conversationType,
      fromAadObjectId: a.from.aadObjectId,
    });
  }
}

export async function startEchoBot(): Promise<EchoBot> {
  // No app id: botbuilder neither checks incoming tokens nor sends any (the Playground runs without auth).
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  const received: EchoBot['received'] = [];
  adapter.onTurnError = async (ctx, err) => {
    console.error('echo bot turn error', err);
    await ctx.sendActivity(`bot error: ${String(err)}`);
  };
  const bot = new Bot(received);
  const server = restify.createServer({ handleUncaughtExceptions: false });
  server.use(restify.plugins.bodyParser({ mapParams: false }));
  server.post('/api/messages', async (req, res) => {
    await adapter.process(req, res, (ctx) => bot.run(ctx));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${port}/api/messages`,
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.server.closeAllConnections(); // keep-alive sockets from the Playground would hold close() open
      }),
  };
}
