/**
 * Product-level helpers over the harness's PlaygroundPage: follow one bot message by its `seq` (so a card
 * that is updated in place can be told apart from a new message), click buttons and fill inputs of that
 * exact card, wait for an Action.Execute round trip, and take cropped screenshots.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Locator, Page, Response } from 'playwright-core';
import type { PlaygroundPage, SendOptions, UiMessage } from '../harness/browser';

export type Match = string | RegExp | ((text: string) => boolean);

/** The little of the DOM the in-page callbacks use (the project compiles without the DOM lib). */
interface DomEl {
  readonly children: { readonly length: number };
  readonly textContent: string | null;
  readonly parentElement: DomEl | null;
  readonly nextElementSibling: DomEl | null;
  readonly ownerDocument: {
    readonly defaultView: { readonly innerWidth: number; readonly innerHeight: number } | null;
  };
  querySelector(selector: string): DomEl | null;
  querySelectorAll(selector: string): ArrayLike<DomEl> & Iterable<DomEl>;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  getBoundingClientRect(): { x: number; y: number; width: number; height: number; right: number; bottom: number };
}

const EDITOR = '[contenteditable="true"][data-lexical-editor="true"]';

function test(match: Match, text: string): boolean {
  if (typeof match === 'string') return text.includes(match);
  if (match instanceof RegExp) return match.test(text);
  return match(text);
}

function describe(messages: UiMessage[]): string {
  return messages
    .map(
      (m) => `  #${m.seq} ${m.author}${m.inChannel ? ' (channel)' : ''}: ${m.text.replace(/\s+/g, ' ').slice(0, 300)}`,
    )
    .join('\n');
}

export interface InvokeResult {
  statusCode?: number;
  type?: string;
  value?: unknown;
}

export class Chat {
  /** Every text each followed message showed, in order (see `follow`). */
  private readonly history = new Map<number, string[]>();

  constructor(readonly ui: PlaygroundPage) {}

  get page(): Page {
    return this.ui.page;
  }

  async messages(): Promise<UiMessage[]> {
    return this.ui.messages();
  }

  async botMessages(): Promise<UiMessage[]> {
    return (await this.messages()).filter((m) => m.author === this.ui.botName);
  }

  /** The highest seq on screen: messages after it are "new". */
  async mark(): Promise<number> {
    return Math.max(0, ...(await this.messages()).map((m) => m.seq));
  }

  /** Sends a message and returns the first bot message after it that matches. */
  async ask(text: string, match: Match, opts: SendOptions & { timeoutMs?: number } = {}): Promise<UiMessage> {
    const after = await this.mark();
    await this.ui.sendMessage(text, opts);
    return this.waitForNew(after, match, opts.timeoutMs);
  }

  /** The first bot message with seq > after whose text matches. */
  async waitForNew(after: number, match: Match, timeoutMs = 30_000): Promise<UiMessage> {
    let seen: UiMessage[] = [];
    return this.poll(
      async () => {
        seen = await this.messages();
        return seen.find((m) => m.seq > after && m.author === this.ui.botName && test(match, m.text));
      },
      timeoutMs,
      () => `no new bot message matching ${String(match)} within ${timeoutMs} ms; messages:\n${describe(seen)}`,
    );
  }

  /** The message with this seq, as it is now. */
  async message(seq: number): Promise<UiMessage> {
    const found = (await this.messages()).find((m) => m.seq === seq);
    if (!found) throw new Error(`message #${seq} is no longer on screen`);
    return found;
  }

  /**
   * Waits until the message with this seq shows text that matches, recording every distinct text it
   * showed on the way (read back with `shown(seq)`). `onChange` sees each new text, e.g. for a screenshot.
   */
  async follow(
    seq: number,
    match: Match,
    timeoutMs = 30_000,
    onChange?: (text: string) => Promise<void>,
  ): Promise<string> {
    const history = this.history.get(seq) ?? [];
    this.history.set(seq, history);
    let last = '';
    return this.poll(
      async () => {
        const msg = (await this.messages()).find((m) => m.seq === seq);
        if (!msg) return undefined;
        last = msg.text;
        if (history.at(-1) !== msg.text) {
          history.push(msg.text);
          if (onChange) await onChange(msg.text);
        }
        return test(match, msg.text) ? msg.text : undefined;
      },
      timeoutMs,
      () => `message #${seq} did not come to match ${String(match)} within ${timeoutMs} ms; it shows:\n${last}`,
      150,
    );
  }

  /** The texts `follow` saw on this message, oldest first. */
  shown(seq: number): string[] {
    return [...(this.history.get(seq) ?? [])];
  }

  /** The rendered Adaptive Card of the message with this seq. */
  async card(seq: number): Promise<Locator> {
    // messages() (re)tags the header and body of every message with data-e2e-part=<seq>.
    await this.messages();
    const card = this.page.locator(`[data-e2e-part="${seq}"] .ac-adaptiveCard`).first();
    await card.waitFor();
    return card;
  }

  async button(seq: number, name: string): Promise<Locator> {
    return (await this.card(seq)).getByRole('button', { name, exact: true });
  }

  /** The names of the card's buttons, in card order. */
  async buttons(seq: number): Promise<string[]> {
    const card = await this.card(seq);
    const names = await card
      .getByRole('button')
      .evaluateAll((els) =>
        els.map((e) => e.getAttribute('aria-label') ?? e.getAttribute('title') ?? (e.textContent ?? '').trim()),
      );
    return names.filter((n): n is string => !!n);
  }

  /**
   * A button in the same row as a text of this card: from the element that shows exactly `rowText`, the
   * nearest ancestor holding a button of that name (the help card has one "How to use" per command row).
   */
  async rowButton(seq: number, rowText: string, name: string): Promise<Locator> {
    const card = await this.card(seq);
    const marker = `row-${seq}-${Date.now()}`;
    const found = await card.evaluate(
      (node, { rowText, name, marker }) => {
        const root = node as unknown as DomEl;
        const named = (b: DomEl) => (b.getAttribute('aria-label') ?? (b.textContent ?? '').trim()) === name;
        for (const el of root.querySelectorAll('*')) {
          if (el.children.length > 0 || (el.textContent ?? '').trim() !== rowText) continue;
          for (let up = el.parentElement; up && up !== root.parentElement; up = up.parentElement) {
            const buttons = [...up.querySelectorAll('button, [role="button"]')].filter(named);
            if (buttons.length === 1) {
              buttons[0].setAttribute('data-e2e-row-button', marker);
              return true;
            }
            if (buttons.length > 1) break; // past the row: the whole list
          }
        }
        return false;
      },
      { rowText, name, marker },
    );
    if (!found) throw new Error(`no "${name}" button in a row showing "${rowText}" in card #${seq}`);
    return this.page.locator(`[data-e2e-row-button="${marker}"]`);
  }

  /**
   * Clicks a card button that sends Action.Execute and waits for the bot's invoke response, then for the
   * card to be rendered again (the renderer gives every element a fresh "__ac-<uuid>" id).
   */
  async invoke(seq: number, button: Locator): Promise<InvokeResult> {
    const before = await this.renderId(seq);
    const response = this.page.waitForResponse((r: Response) => r.url().endsWith('/_conversation/v1/invoke'), {
      timeout: 30_000,
    });
    response.catch(() => undefined); // when the click itself fails, its error is the one to report
    await button.click();
    const res = await response;
    const body = (await res.json().catch(() => ({}))) as InvokeResult;
    if (body.type === 'application/vnd.microsoft.card.adaptive') {
      await this.poll(
        async () => {
          const now = await this.renderId(seq).catch(() => undefined);
          return now && now !== before ? true : undefined;
        },
        15_000,
        () => `card #${seq} was not rendered again after the invoke (answer: ${JSON.stringify(body).slice(0, 300)})`,
      );
    }
    return body;
  }

  /** Click a button of the card by name and wait for the invoke round trip. */
  async click(seq: number, name: string): Promise<InvokeResult> {
    return this.invoke(seq, await this.button(seq, name));
  }

  /** An input of the card by its label (without the required " *"). */
  async input(seq: number, label: string): Promise<Locator> {
    const card = await this.card(seq);
    const input = card.getByLabel(label).first();
    await input.waitFor();
    return input;
  }

  async fill(seq: number, label: string, value: string): Promise<void> {
    await (await this.input(seq, label)).fill(value);
  }

  /** Picks a choice of a compact Input.ChoiceSet (a Fluent combobox) by the start of its title. */
  async choose(seq: number, label: string, optionStartsWith: string): Promise<void> {
    const box = await this.input(seq, label);
    await box.click();
    const option = this.page.getByRole('option', { name: new RegExp(`^${escapeRegExp(optionStartsWith)}`) });
    await option.first().click();
    await this.poll(
      async () => ((await box.inputValue()).startsWith(optionStartsWith) ? true : undefined),
      5_000,
      () => `the choice "${optionStartsWith}" did not show in "${label}"`,
    );
  }

  /** The text shown right after an input (its field error, when the card has one there). */
  async textAfterInput(seq: number, label: string): Promise<string> {
    const input = await this.input(seq, label);
    return input.evaluate((node) => {
      // An input sits in a container with its <label>; the next non-spacer sibling is what follows it.
      let box: DomEl | null = node as unknown as DomEl;
      while (box && !box.querySelector(':scope > label')) box = box.parentElement;
      let next = box?.nextElementSibling ?? null;
      while (next && next.getAttribute('aria-hidden') === 'true') next = next.nextElementSibling;
      return next ? (next.textContent ?? '').trim() : '';
    });
  }

  /** Hides the Playground's log panel, so the chat gets the width (and the screenshots look like Teams). */
  async hideLogPanel(): Promise<void> {
    const hide = this.page.getByTitle('Hide log panel');
    if ((await hide.count()) > 0) await hide.first().click();
  }

  /**
   * A screenshot cropped to the chat pane, into test-results/e2e/<name>.png, and docs/screenshots/<name>.png
   * when UPDATE_SCREENSHOTS=1 (unless `docs: false`). With `seq`, that message is scrolled into view first.
   */
  async shot(name: string, seq?: number, opts: { docs?: boolean } = {}): Promise<void> {
    if (seq !== undefined) {
      await this.messages();
      await this.page
        .locator(`[data-e2e-part="${seq}"]`)
        .first()
        .evaluate((el) => el.scrollIntoView({ block: 'nearest' }))
        .catch(() => undefined);
      await this.page.waitForTimeout(100); // let the scroll settle before the capture
    }
    const clip = await this.chatPane();
    const targets = [join(process.cwd(), 'test-results', 'e2e', `${name}.png`)];
    if (process.env.UPDATE_SCREENSHOTS === '1' && opts.docs !== false)
      targets.push(join(process.cwd(), 'docs', 'screenshots', `${name}.png`));
    for (const path of targets) {
      mkdirSync(dirname(path), { recursive: true });
      await this.page.screenshot({ path, ...(clip ? { clip } : {}) });
    }
  }

  /** The chat pane's box: the tallest ancestor of the message box that is narrower than the page. */
  private async chatPane(): Promise<{ x: number; y: number; width: number; height: number } | undefined> {
    const editor = this.page.locator(EDITOR).first();
    if ((await editor.count()) === 0) return undefined;
    return editor.evaluate((node) => {
      const start = node as unknown as DomEl;
      const vw = start.ownerDocument.defaultView?.innerWidth ?? 0;
      const vh = start.ownerDocument.defaultView?.innerHeight ?? 0;
      let best: ReturnType<DomEl['getBoundingClientRect']> | undefined;
      for (let el = start.parentElement; el; el = el.parentElement) {
        const r = el.getBoundingClientRect();
        if (r.width >= vw - 1) break;
        if (r.height >= vh * 0.8) best = r;
      }
      if (!best) return undefined;
      const y = Math.max(0, Math.floor(best.y));
      return {
        x: Math.floor(best.x),
        y,
        width: Math.ceil(best.width),
        height: Math.ceil(Math.min(vh, best.bottom) - y),
      };
    });
  }

  private async renderId(seq: number): Promise<string | null> {
    const card = await this.card(seq);
    return card.locator('[id^="__ac-"]').first().getAttribute('id');
  }

  private async poll<T>(
    probe: () => Promise<T | undefined>,
    timeoutMs: number,
    why: () => string,
    everyMs = 250,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(why());
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
