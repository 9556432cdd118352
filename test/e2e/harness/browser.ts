import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { playgroundState } from './api';
import { CardRecorder } from './cards';
import { orderThreadReplies } from './threadOrder';
import { DOM_SCRIPT } from './dom';

const CHROMIUM = '/usr/bin/chromium';

// From testing-notes.md: no network beyond loopback here, so keep Chromium from calling home.
const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// The Lexical editors (chat box, "Start a new post", thread replies); the log panel is contenteditable too.
const EDITOR = '[contenteditable="true"][data-lexical-editor="true"]';

/** Debian's chromium, or undefined when it is not installed. */
export function chromiumPath(): string | undefined {
  return existsSync(CHROMIUM) ? CHROMIUM : undefined;
}

export interface UiMessage {
  /** Order of appearance on the page (not DOM order: channel threads are listed newest first). */
  seq: number;
  author: string;
  /** Body text, card text included, without the header (sender, time) and without the invoke notice. */
  text: string;
  /** The UI's note under a card after Action.Execute: "Your response was sent to the app" or an error. */
  notice?: string;
  cards: string[];
  inChannel: boolean;
}

export type MessageMatch = string | RegExp | ((text: string, message: UiMessage) => boolean);

export interface SendOptions {
  /** Start with an @mention of the bot (true) or of this display name; a channel post needs one to reach the bot. */
  mention?: boolean | string;
  /** In a channel: reply in the thread of the latest message instead of starting a new post. */
  inThread?: boolean;
}

export interface CardOptions {
  /** Pick the latest card whose text contains this, instead of the latest card. */
  containing?: string;
}

export interface PlaygroundPage {
  readonly page: Page;
  readonly botName: string;
  readonly userName: string;
  sendMessage(text: string, opts?: SendOptions): Promise<void>;
  /** Latest bot message that matches; `fresh` ignores messages already shown before the last sendMessage. */
  waitForBotMessage(match: MessageMatch, timeoutMs?: number, opts?: { fresh?: boolean }): Promise<string>;
  lastBotMessageText(): Promise<string | undefined>;
  messages(): Promise<UiMessage[]>;
  cardText(opts?: CardOptions): Promise<string>;
  clickCardButton(name: string, opts?: CardOptions): Promise<void>;
  /** By the input's label, its placeholder, or its card `id`. */
  fillCardInput(labelOrId: string, value: string, opts?: CardOptions): Promise<void>;
  switchToPersonalChat(): Promise<void>;
  switchToGroupChat(): Promise<void>;
  switchToChannel(teamName: string, channelName: string): Promise<void>;
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  executablePath?: string;
  timeoutMs?: number;
  viewport?: { width: number; height: number };
}

export async function openPlayground(url: string, opts: OpenOptions = {}): Promise<PlaygroundPage> {
  const executablePath = opts.executablePath ?? chromiumPath();
  if (!executablePath) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  // launch() gives every browser a fresh temporary profile (its own --user-data-dir).
  const browser = await chromium.launch({ executablePath, args: LAUNCH_ARGS, headless: true });
  try {
    const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1400, height: 1000 } });
    page.setDefaultTimeout(opts.timeoutMs ?? 30_000);
    // The UI asks an Office CDN for fonts; fail those at once instead of waiting on DNS.
    await page.route(
      (u) => !['127.0.0.1', 'localhost'].includes(u.hostname),
      (route) => route.abort(),
    );
    await page.addInitScript(DOM_SCRIPT);
    const cards = new CardRecorder();
    cards.attach(page);
    // Messages arrive over this socket; sending before it is open could miss the bot's answer.
    let opened!: () => void;
    const socket = new Promise<void>((resolve) => (opened = resolve));
    await orderThreadReplies(
      page,
      (frame) => cards.record(frame),
      () => opened(),
    );
    await page.goto(url);
    await socket;
    await page.getByRole('treeitem', { name: 'Personal Chat' }).waitFor();
    await page.locator(EDITOR).first().waitFor();
    const state = await playgroundState(url);
    return new Ui(browser, page, cards, state.bot.name, state.currentUser.name);
  } catch (err) {
    await browser.close();
    throw err;
  }
}

class Ui implements PlaygroundPage {
  private sentAtSeq = 0;

  constructor(
    private readonly browser: Browser,
    readonly page: Page,
    private readonly cards: CardRecorder,
    readonly botName: string,
    readonly userName: string,
  ) {}

  async messages(): Promise<UiMessage[]> {
    return this.page.evaluate(`window.__e2e.messages(${JSON.stringify(this.userName)})`) as Promise<UiMessage[]>;
  }

  async sendMessage(text: string, opts: SendOptions = {}): Promise<void> {
    const editor = opts.inThread ? await this.threadEditor() : this.page.locator(EDITOR).first();
    this.sentAtSeq = Math.max(0, ...(await this.messages()).map((m) => m.seq));
    await editor.click();
    if (opts.mention) await this.typeMention(opts.mention === true ? this.botName : opts.mention);
    // insertText keeps "\n" in the activity text; Shift+Enter line breaks are dropped by the Playground.
    await this.page.keyboard.insertText(text);
    await this.page.keyboard.press('Enter');
    // The editor empties once the UI has accepted the message.
    await this.poll(
      async () => (((await editor.textContent()) ?? '').trim() === '' ? true : undefined),
      10_000,
      () => 'editor did not clear after Enter',
    );
  }

  async waitForBotMessage(match: MessageMatch, timeoutMs = 30_000, opts: { fresh?: boolean } = {}): Promise<string> {
    const test = toPredicate(match);
    let seen: UiMessage[] = [];
    const found = await this.poll(
      async () => {
        seen = await this.messages();
        const hits = seen.filter(
          (m) => m.author === this.botName && (!opts.fresh || m.seq > this.sentAtSeq) && test(m.text, m),
        );
        return hits.at(-1)?.text;
      },
      timeoutMs,
      () => `no bot message matching ${String(match)} within ${timeoutMs} ms; messages:\n${describe(seen)}`,
    );
    return found;
  }

  async lastBotMessageText(): Promise<string | undefined> {
    return (await this.messages()).filter((m) => m.author === this.botName).at(-1)?.text;
  }

  async cardText(opts: CardOptions = {}): Promise<string> {
    return (await this.latestCard(opts)).innerText();
  }

  async clickCardButton(name: string, opts: CardOptions = {}): Promise<void> {
    const card = await this.latestCard(opts);
    await card.getByRole('button', { name, exact: true }).click();
  }

  async fillCardInput(labelOrId: string, value: string, opts: CardOptions = {}): Promise<void> {
    const card = await this.latestCard(opts);
    let target = card.getByLabel(labelOrId, { exact: true });
    if ((await target.count()) === 0) target = card.getByPlaceholder(labelOrId, { exact: true });
    if ((await target.count()) === 0) {
      const info = this.cards.findInput(labelOrId);
      if (info?.label) target = card.getByLabel(info.label, { exact: true });
      else if (info?.placeholder) target = card.getByPlaceholder(info.placeholder, { exact: true });
      else if (info) target = card.locator('input, textarea, select').nth(info.index);
    }
    if ((await target.count()) === 0) throw new Error(`no card input labelled or with id "${labelOrId}"`);
    const field = target.first();
    const kind = await field.evaluate((el) => `${el.tagName}:${el.getAttribute('type') ?? ''}`.toLowerCase());
    if (kind.startsWith('select:')) await field.selectOption(value);
    else if (kind === 'input:checkbox' || kind === 'input:radio') await field.setChecked(value === 'true');
    else await field.fill(value);
  }

  async switchToPersonalChat(): Promise<void> {
    await this.openConversation('Personal Chat', false);
  }

  async switchToGroupChat(): Promise<void> {
    await this.openConversation('Group Chat', false);
  }

  async switchToChannel(teamName: string, channelName: string): Promise<void> {
    await this.openConversation(`${teamName} - ${channelName}`, true);
  }

  async screenshot(path: string): Promise<void> {
    mkdirSync(dirname(path), { recursive: true });
    await this.page.screenshot({ path, fullPage: true });
  }

  async close(): Promise<void> {
    await this.browser.close();
  }

  // Sidebar tree items are named "Personal Chat", "Group Chat" and "<team> - <channel>". A channel shows a
  // "Post" button (new-post composer); a chat does not.
  private async openConversation(treeItem: string, channel: boolean): Promise<void> {
    await this.page.getByRole('treeitem', { name: treeItem, exact: true }).click();
    const post = this.page.getByRole('button', { name: 'Post', exact: true });
    if (channel) await post.waitFor();
    else await post.waitFor({ state: 'detached' });
    await this.page.locator(EDITOR).first().waitFor();
  }

  private async typeMention(name: string): Promise<void> {
    // Typing "@<first word>" opens a typeahead listbox; picking the entry inserts a real mention entity.
    await this.page.keyboard.type(`@${name.split(' ')[0]}`);
    const item = this.page.getByRole('menuitem', { name: new RegExp(`^${escapeRegExp(name)}\\b`) });
    await item.first().click();
    await this.page.keyboard.type(' ');
  }

  private async threadEditor(): Promise<Locator> {
    const last = (await this.messages()).filter((m) => m.inChannel).at(-1);
    if (!last) throw new Error('inThread: no channel thread on screen');
    const part = this.page.locator(`[data-e2e-part="${last.seq}"]`);
    return this.page.locator('.fui-Card[role="group"]').filter({ has: part }).locator(EDITOR);
  }

  private async latestCard(opts: CardOptions): Promise<Locator> {
    const withCards = (await this.messages()).filter(
      (m) => m.cards.length > 0 && (opts.containing === undefined || m.cards.some((c) => c.includes(opts.containing!))),
    );
    const msg = withCards.at(-1);
    if (!msg) throw new Error(`no adaptive card on screen${opts.containing ? ` containing "${opts.containing}"` : ''}`);
    return this.page.locator(`[data-e2e-part="${msg.seq}"] .ac-adaptiveCard`).last();
  }

  private async poll<T>(probe: () => Promise<T | undefined>, timeoutMs: number, why: () => string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(why());
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function toPredicate(match: MessageMatch): (text: string, m: UiMessage) => boolean {
  if (typeof match === 'string') return (text) => text.includes(match);
  if (match instanceof RegExp) return (text) => match.test(text);
  return match;
}

function describe(messages: UiMessage[]): string {
  const line = (m: UiMessage) =>
    `  #${m.seq} ${m.author}: ${m.text.replace(/\s+/g, ' ').slice(0, 160)}${m.notice ? ` [notice: ${m.notice}]` : ''}`;
  return messages.map(line).join('\n') || '  (none)';
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
