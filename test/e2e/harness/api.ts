// The Playground's own HTTP API: the routes its UI calls (request shapes read from its network traffic and
// its request validators, version 0.2.28). See test/e2e/README.md.

export interface PlaygroundState {
  tenantId: string;
  bot: { id: string; name: string };
  currentUser: { id: string; name: string; aadObjectId: string };
  users: { id: string; name: string; aadObjectId: string }[];
  personalChat: { id: string; name: string };
  groupChats: { id: string; name: string; members: string[] }[];
  teams: { id: string; name: string; aadGroupId: string; channels: { id: string; name: string }[] }[];
}

async function call<T>(url: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(new URL(path, url), {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The effective config (GET /_internal/v1/testConfig); gives the random personal chat id of the built-in config. */
export async function playgroundState(url: string): Promise<PlaygroundState> {
  return (await call<{ config: PlaygroundState }>(url, '/_internal/v1/testConfig')).config;
}

export interface PostMessageBody {
  text: string;
  /** Must be a member of the conversation. The activity is still sent as the Playground's currentUser. */
  fromId: string;
  /** Mention the bot so that a channel post reaches it. */
  mentionBot?: { id: string; name: string };
}

/**
 * POST /_conversation/v1/conversations/:id/messages, as the UI does. In a channel (`:id` = team id for
 * General, or a channel id) this starts a new thread; the answer holds its `postConversationId`.
 * The bot gets it, but an open UI shows neither the post nor the bot's reply to it.
 */
export function postMessage(
  url: string,
  conversationId: string,
  body: PostMessageBody,
): Promise<{ messageId: string; postConversationId?: string; timestamp: number }> {
  const at = body.mentionBot ? `<at>${body.mentionBot.name}</at>` : '';
  return call(url, `/_conversation/v1/conversations/${encodeURIComponent(conversationId)}/messages`, {
    type: 'text',
    text: at ? `${at} ${body.text}` : body.text,
    textFormat: 'plain',
    from: { id: body.fromId },
    ...(body.mentionBot ? { mentions: [{ mentioned: { id: body.mentionBot.id }, text: at }] } : {}),
  });
}

/** POST /_internal/v1/customActivities: the body goes to the bot as is (answers 200 before the bot is called). */
export async function sendCustomActivity(url: string, activity: Record<string, unknown>): Promise<void> {
  await call(url, '/_internal/v1/customActivities', activity);
}

export interface SendAsOptions {
  /** Any person; need not be in the config. */
  from: { id: string; name: string; aadObjectId: string };
  /** Personal chat id, group chat id, team id (General) or channel id (optionally with ";messageid=<root>"). */
  conversationId: string;
  text: string;
  mentionBot?: boolean;
}

/**
 * A message activity from another person, built like the Playground's own and sent through the custom
 * activity route: the way to play a second user inside one Playground. The bot's reply shows in the UI when
 * that conversation is open (a channel root gets a new post by the bot); the sent message itself does not.
 */
export async function sendMessageAs(url: string, opts: SendAsOptions): Promise<void> {
  const st = await playgroundState(url);
  const baseId = opts.conversationId.split(';')[0];
  const team = st.teams.find((t) => t.channels.some((c) => c.id === baseId));
  const kind = team ? 'channel' : baseId === st.personalChat.id ? 'personal' : 'groupChat';
  const at = `<at>${st.bot.name}</at>`;
  await sendCustomActivity(url, {
    type: 'message',
    id: `custom-${Date.now()}`,
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: new URL('/_connector', url).toString(),
    from: opts.from,
    recipient: st.bot,
    conversation: {
      conversationType: kind,
      tenantId: st.tenantId,
      id: opts.conversationId,
      isGroup: kind !== 'personal',
    },
    text: opts.mentionBot ? `${at} ${opts.text}` : opts.text,
    textFormat: 'plain',
    entities: opts.mentionBot ? [{ type: 'mention', mentioned: st.bot, text: at }] : [],
    channelData: {
      tenant: { id: st.tenantId },
      ...(team ? { teamsTeamId: team.id, teamsChannelId: baseId, team: { id: team.id }, channel: { id: baseId } } : {}),
    },
  });
}
