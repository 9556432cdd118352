import type { Page } from 'playwright-core';

// The rendered card does not carry the inputs' card ids (the renderer generates "__ac-<uuid>" ids), so
// fillCardInput(id) looks the id up in the card JSON the page received and maps it to a label, a
// placeholder, or a position.

type Json = { [key: string]: unknown };

export interface CardInputInfo {
  label?: string;
  placeholder?: string;
  /** Position among the card's inputs, in card order. */
  index: number;
}

const CARD = 'application/vnd.microsoft.card.adaptive';

export class CardRecorder {
  // messageId -> latest card; re-inserted on update so iteration order is "least recently changed first".
  private readonly cards = new Map<string, Json>();

  /** Records invoke answers; the socket's frames come through `record` (the socket is routed: threadOrder.ts). */
  attach(page: Page): void {
    page.on('response', async (res) => {
      if (!res.url().endsWith('/_conversation/v1/invoke') || !res.ok()) return;
      try {
        const req = JSON.parse(res.request().postData() ?? '{}') as { replyToId?: string };
        const body = (await res.json()) as { type?: string; value?: Json };
        if (req.replyToId && body.type === CARD && body.value) this.put(req.replyToId, body.value);
      } catch {
        // Not JSON (or the page went away): nothing to record.
      }
    });
  }

  /** The most recently received or updated card that has an input with this id. */
  findInput(id: string): CardInputInfo | undefined {
    for (const card of [...this.cards.values()].reverse()) {
      const inputs = collectInputs(card);
      const index = inputs.findIndex((i) => i['id'] === id);
      if (index < 0) continue;
      const input = inputs[index];
      return {
        index,
        label: typeof input['label'] === 'string' ? input['label'] : undefined,
        placeholder: typeof input['placeholder'] === 'string' ? input['placeholder'] : undefined,
      };
    }
    return undefined;
  }

  /** A frame the server sent on the conversation socket. */
  record(payload: string): void {
    try {
      const msg = JSON.parse(payload) as { action?: string; message?: { messageId?: string; attachments?: Json[] } };
      if (msg.action !== 'createMessage' && msg.action !== 'updateMessage') return;
      const card = msg.message?.attachments?.find((a) => a['contentType'] === CARD)?.['content'];
      if (msg.message?.messageId && card && typeof card === 'object') this.put(msg.message.messageId, card as Json);
    } catch {
      // Typing and other frames that are not ours to read.
    }
  }

  private put(messageId: string, card: Json): void {
    this.cards.delete(messageId);
    this.cards.set(messageId, card);
  }
}

/** Inputs in document order: a depth-first walk over the card's keys, which is how the renderer lays them out. */
function collectInputs(node: unknown, out: Json[] = []): Json[] {
  if (Array.isArray(node)) {
    for (const item of node) collectInputs(item, out);
  } else if (node && typeof node === 'object') {
    const obj = node as Json;
    if (typeof obj['type'] === 'string' && obj['type'].startsWith('Input.')) out.push(obj);
    for (const value of Object.values(obj)) collectInputs(value, out);
  }
  return out;
}
