/**
 * The one render helper for Adaptive Cards. Templates are static JSON files in cards/, parsed once
 * and cached; user text reaches a card only through the data, which adaptivecards-templating
 * inserts literally (expressions are evaluated in the template only, never in the data).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ACData from 'adaptivecards-templating';
import { RenderCache } from './renderCache';

export const CARDS_DIR = path.resolve(__dirname, '../../cards');
/** Teams takes about 28 KB through every path (webhooks included): budget every card for it. */
export const MAX_CARD_BYTES = 28 * 1024;

export type AdaptiveCard = Record<string, unknown> & { type: 'AdaptiveCard'; version: string };

const cache = new Map<string, ACData.Template>();

function template(name: string): ACData.Template {
  let t = cache.get(name);
  if (!t) {
    const json = JSON.parse(readFileSync(path.join(CARDS_DIR, `${name}.json`), 'utf8'));
    t = new ACData.Template(json);
    cache.set(name, t);
  }
  return t;
}

export class CardTooLargeError extends Error {
  constructor(
    readonly card: string,
    readonly bytes: number,
  ) {
    super(`card ${card} is ${bytes} bytes; the limit is ${MAX_CARD_BYTES}`);
  }
}

const rendered = new RenderCache<AdaptiveCard>();

/** Forgets every rendered card: for measuring what a render costs when the view model is new. */
export function forgetRenderedCards(): void {
  rendered.clear();
}

/**
 * Expands a template with its data, or returns the card already rendered from equal data (frozen).
 * Throws CardTooLargeError past the size budget.
 */
export function renderCard<T extends object>(name: string, data: T): AdaptiveCard {
  return rendered.get(name, data, () => {
    const card = template(name).expand({ $root: data }) as AdaptiveCard;
    const bytes = Buffer.byteLength(JSON.stringify(card));
    if (bytes > MAX_CARD_BYTES) throw new CardTooLargeError(name, bytes);
    return card;
  });
}

/** Cuts user text to a length that keeps cards within budget, marking the cut. */
export function clip(text: string | undefined, max: number): string {
  if (!text) return '';
  if (text.length <= max) return text;
  // Never end on half of a surrogate pair (an emoji cut in two).
  return `${text.slice(0, max - 1).replace(/[\uD800-\uDBFF]$/, '')}…`;
}
