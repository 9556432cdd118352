/**
 * The approvals e2e stack: the product (runtime service + bot) with the demo policy
 * (playground/policy.yaml), and a second browser window on the same Playground that the Playground's UI
 * believes belongs to another person.
 *
 * Why a second window on one Playground and not a second Playground: a card lives in the Playground that
 * received it, and the bot updates it through the conversation reference of that Playground. A second
 * Playground never shows Alex's request card. Two windows on one Playground both get every bot message over
 * the conversation web socket, so both show the same card, updated in place for both.
 *
 * How the window becomes "Megan's": the UI reads its current user from `GET /_internal/v1/config`; the
 * window answers that request with Megan as the current user (Alex moved into `users`, so there are still
 * exactly 5). The UI then sends her id as `from.id` of every card action, and the Playground builds the
 * invoke activity from that id (`tenantManager.getUser(from.id)`), so the bot sees Megan's name and Entra
 * object id. Typed messages are another matter: the Playground sends them as its configured current user
 * whatever the UI says, so the window refuses to send them (a test that typed there would act as Alex).
 */
import type { Route } from 'playwright-core';
import { openPlayground, type OpenOptions, type PlaygroundPage, type UiMessage } from '../harness/browser';
import type { PEOPLE } from '../../helpers/activities';

export type Person = (typeof PEOPLE)[keyof typeof PEOPLE];

interface ConfigUser {
  id: string;
  name: string;
  [key: string]: unknown;
}

/** The part of GET /_internal/v1/config this file changes (the rest is passed through). */
interface UiConfig {
  currentUser: ConfigUser;
  users: ConfigUser[];
  groupChats?: { members?: string[]; [key: string]: unknown }[];
  teams?: { members?: string[]; [key: string]: unknown }[];
  [key: string]: unknown;
}

/**
 * Another window on the same Playground, whose UI takes `person` for its current user. Card actions clicked
 * there reach the bot as that person; typed messages are refused (see the file's comment).
 */
export async function openPlaygroundAs(url: string, person: Person, opts: OpenOptions = {}): Promise<PlaygroundPage> {
  const inner = await openPlayground(url, opts);
  const page = inner.page;
  try {
    await page.route(
      (u) => u.pathname === '/_internal/v1/config',
      async (route: Route) => {
        const res = await route.fetch();
        const body = (await res.json()) as { config?: UiConfig };
        const cfg = body.config;
        const me = cfg?.users?.find((u) => u.id === person.id);
        const was = cfg?.currentUser;
        if (!cfg || !was || !me) {
          throw new Error(`/_internal/v1/config has no user ${person.id}: ${JSON.stringify(body).slice(0, 500)}`);
        }
        // Swap: the person becomes the current user, the configured current user one of the 5 users (the
        // member lists leave the current user out).
        const swap = (id: string) => (id === person.id ? was.id : id);
        const config: UiConfig = {
          ...cfg,
          currentUser: me,
          users: cfg.users.map((u) => (u.id === person.id ? was : u)),
          groupChats: cfg.groupChats?.map((g) => ({ ...g, members: g.members?.map(swap) })),
          teams: cfg.teams?.map((t) => ({ ...t, members: t.members?.map(swap) })),
        };
        await route.fulfill({ response: res, json: { ...body, config } });
      },
    );
    await page.route(
      (u) => /^\/_conversation\/v1\/conversations\/[^/]+\/messages$/.test(u.pathname),
      (route: Route) =>
        route.request().method() === 'POST'
          ? route.fulfill({
              status: 400,
              body: `the e2e window of ${person.name} does not send typed messages: the Playground would send them as its current user`,
            })
          : route.fallback(),
    );
    // Load again, now as the person (the harness's in-page script and card recorder stay attached).
    const socket = page.waitForEvent('websocket', (ws) => ws.url().includes('/_ws_conversation/'));
    await page.reload();
    await socket;
    await page.getByRole('treeitem', { name: 'Personal Chat' }).waitFor();
  } catch (error) {
    await inner.close();
    throw error;
  }
  return asPerson(inner, person.name);
}

/** The harness's page, with the person's name for the messages they sent themselves (they have no author line). */
function asPerson(inner: PlaygroundPage, userName: string): PlaygroundPage {
  return {
    get page() {
      return inner.page;
    },
    botName: inner.botName,
    userName,
    sendMessage: () => Promise.reject(new Error(`${userName}'s window does not send typed messages`)),
    waitForBotMessage: (match, timeoutMs, o) => inner.waitForBotMessage(match, timeoutMs, o),
    lastBotMessageText: () => inner.lastBotMessageText(),
    messages: () => inner.page.evaluate(`window.__e2e.messages(${JSON.stringify(userName)})`) as Promise<UiMessage[]>,
    cardText: (o) => inner.cardText(o),
    clickCardButton: (name, o) => inner.clickCardButton(name, o),
    fillCardInput: (id, value, o) => inner.fillCardInput(id, value, o),
    switchToPersonalChat: () => inner.switchToPersonalChat(),
    switchToGroupChat: () => inner.switchToGroupChat(),
    switchToChannel: (team, channel) => inner.switchToChannel(team, channel),
    screenshot: (p) => inner.screenshot(p),
    close: () => inner.close(),
  };
}

const EDITOR = '[contenteditable="true"][data-lexical-editor="true"]';

/**
 * Opens a group chat by its name (the harness's switchToGroupChat looks for the default name "Group Chat";
 * the product's config calls it "Flow Builders"). A chat has no "Post" button; a channel has one.
 */
export async function openGroupChat(ui: PlaygroundPage, name: string): Promise<void> {
  await ui.page.getByRole('treeitem', { name, exact: true }).click();
  await ui.page.getByRole('button', { name: 'Post', exact: true }).waitFor({ state: 'detached' });
  await ui.page.locator(EDITOR).first().waitFor();
}

export interface InvokeAsOptions {
  /** The person's id in the Playground config (user-id-N): the Playground builds the activity's `from` from it. */
  fromId: string;
  conversationId: string;
  /** The card message's id. */
  replyToId: string;
  verb: string;
  data: Record<string, unknown>;
}

/**
 * POST /_conversation/v1/invoke as the UI sends an Action.Execute click, for a repeated click (a retry or a
 * double click) that the UI would not let a test make twice. Answers with the bot's invoke response.
 */
export async function invokeAs(
  url: string,
  opts: InvokeAsOptions,
): Promise<{ statusCode?: number; type?: string; value?: unknown }> {
  const res = await fetch(new URL('/_conversation/v1/invoke', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'adaptiveCard/action',
      value: { action: { type: 'Action.Execute', verb: opts.verb, data: opts.data } },
      from: { id: opts.fromId },
      conversation: { id: opts.conversationId },
      replyToId: opts.replyToId,
    }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST /_conversation/v1/invoke: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as { statusCode?: number; type?: string; value?: unknown };
}
