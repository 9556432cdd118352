/**
 * Works around a race in the Agents Playground's web client (0.2.x), not in the bot: a reply in a
 * channel thread (conversation `<channel>;messageid=<post>`) that reaches the page before the page
 * has handled the answer to its own POST of that post is dropped. The client's saga looks the thread
 * up, finds no such conversation yet, and throws "unreachable"; the reply never shows. On a busy
 * machine the bot answers faster than Chromium handles its own request, so the first reply to a new
 * post went missing now and then (the CI failure of 2026-12-03: "no new bot message matching
 * On-call summary", with the user's post on screen and nothing under it).
 *
 * The page's WebSocket is routed through the test: frames for a thread the page is still creating
 * wait, in order, until the page shows the post that the answer to its POST adds (or a few seconds
 * at most), then pass, in the order the server sent them.
 *
 * Frames for a thread the page never had (a reply to a post sent through the Playground's API, which
 * the page does not show) are not passed on: the client fails on them ("Saga error: Invalid
 * conversation id"), restarts its saga and opens a new socket, and a frame that arrives meanwhile is
 * lost, so the next message on screen went missing under load.
 */
import type { Page, Request, WebSocketRoute } from 'playwright-core';

/** The longest a frame waits for its thread; after that it passes as it would have. */
const HOLD_MAX_MS = 5_000;
/** After the post shows on the page: a moment more for the client to finish what it does with it. */
const SETTLE_MS = 50;

interface Frame {
  action?: string;
  actionConversationId?: string;
  message?: { postConversationId?: unknown };
}

/**
 * Routes the page's conversation socket (call before the page opens it). `onFrame` sees every frame
 * from the server as it arrives; `onOpen` runs when the page has connected.
 */
export async function orderThreadReplies(
  page: Page,
  onFrame: (payload: string) => void,
  onOpen: () => void,
): Promise<void> {
  /** Threads this page is creating with its own POST and has not taken in yet. */
  const pending = new Set<string>();
  /** Threads the page has: posts it made, and posts the server announced to it. */
  const known = new Set<string>();
  /** Frames held per thread, in arrival order, each with the socket it came for. */
  const held = new Map<string, { to: WebSocketRoute; payload: string }[]>();

  const pass = (thread: string) => {
    const frames = held.get(thread) ?? [];
    held.delete(thread);
    if (known.has(thread)) for (const { to, payload } of frames) to.send(payload);
  };
  /** Passes what waits for threads the page is no longer creating. */
  const flush = () => {
    for (const thread of [...held.keys()]) if (!mayBeCreating(thread, pending)) pass(thread);
  };

  /** Messages the page had shown when each post was sent, by request. */
  const shownBefore = new Map<Request, Promise<number>>();
  page.on('request', (req) => {
    const channel = threadOfPost(req.method(), req.url());
    if (!channel) return;
    // The post's id is only known from the answer: mark the channel until then.
    pending.add(`${channel};pending`);
    shownBefore.set(req, shown(page));
  });
  page.on('response', async (res) => {
    const channel = threadOfPost(res.request().method(), res.url());
    if (!channel) return;
    const body = (await res.json().catch(() => undefined)) as
      { messageId?: unknown; postConversationId?: unknown } | undefined;
    const before = (await shownBefore.get(res.request())) ?? 0;
    shownBefore.delete(res.request());
    pending.delete(`${channel};pending`);
    if (typeof body?.messageId !== 'string') return flush();
    const thread = `${channel};messageid=${body.messageId}`;
    pending.add(thread);
    if (typeof body.postConversationId === 'string') known.add(body.postConversationId);
    // The client adds the post, and the thread with it, when it handles this answer: wait until the
    // post shows (then the thread exists), or HOLD_MAX_MS at most.
    const deadline = Date.now() + HOLD_MAX_MS;
    while (!page.isClosed() && (await shown(page)) <= before && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    pending.delete(thread);
    flush();
  });

  await page.routeWebSocket(/\/_ws_conversation\//, (ws) => {
    onOpen();
    const server = ws.connectToServer();
    ws.onMessage((message) => server.send(message));
    server.onMessage((message) => {
      const payload = String(message);
      onFrame(payload);
      const { thread, post } = read(payload);
      if (post) known.add(post);
      if (thread === undefined) return ws.send(message);
      const waiting = held.has(thread) || mayBeCreating(thread, pending);
      if (!waiting) return known.has(thread) ? ws.send(message) : undefined;
      const frames = held.get(thread) ?? [];
      if (frames.length === 0) setTimeout(() => pass(thread), HOLD_MAX_MS).unref();
      frames.push({ to: ws, payload });
      held.set(thread, frames);
    });
  });
}

/** The channel id of a POST that starts a post (`/_conversation/v1/conversations/<channel>/messages`). */
function threadOfPost(method: string, url: string): string | undefined {
  if (method !== 'POST') return undefined;
  const match = /\/_conversation\/v1\/conversations\/([^/]+)\/messages$/.exec(new URL(url).pathname);
  return match ? decodeURIComponent(match[1]) : undefined;
}

/** The thread a frame belongs to, if any, and the thread it starts, if it is a new post. */
function read(payload: string): { thread?: string; post?: string } {
  try {
    const frame = JSON.parse(payload) as Frame;
    const id = frame.actionConversationId;
    const post = frame.message?.postConversationId;
    return {
      ...(typeof id === 'string' && id.includes(';messageid=') ? { thread: id } : {}),
      ...(typeof post === 'string' ? { post } : {}),
    };
  } catch {
    return {};
  }
}

/** A thread the page is creating: its post's answer is awaited, or has come and not been taken in yet. */
function mayBeCreating(thread: string, pending: ReadonlySet<string>): boolean {
  const channel = thread.slice(0, thread.indexOf(';messageid='));
  return pending.has(thread) || pending.has(`${channel};pending`);
}

/** How many messages the page has shown so far (test/e2e/harness/dom.ts); 0 while it cannot say. */
function shown(page: Page): Promise<number> {
  return page.evaluate('window.__e2e ? window.__e2e.shown() : 0').then(Number, () => 0);
}
