/**
 * The one render helper for Adaptive Cards. Templates are static JSON files in cards/, parsed once
 * and cached; user text reaches a card only through the data, which adaptivecards-templating
 * inserts literally (expressions are evaluated in the template only, never in the data).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ACData from 'adaptivecards-templating';
import { RenderCache } from './renderCache';

export const CARDS_DIR = path.resolve(__dirname, '../../../../cards');
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

/**
 * Cuts user text to at most `maxBytes` of the card's JSON, marking the cut. The budget is bytes, not
 * characters, because Teams' limit is: 8,000 CJK characters are 24 KB of UTF-8, and 8,000 `"` are
 * 16 KB once escaped. Never ends on half of a surrogate pair (an emoji cut in two).
 */
export function clip(text: string | undefined, maxBytes: number): string {
  if (!text) return '';
  const ELLIPSIS = 3; // '…' in UTF-8
  let bytes = 0;
  let fits = 0; // how many UTF-16 units fit in maxBytes - ELLIPSIS, should a cut be needed
  for (let i = 0; i < text.length; i++) {
    const pair = isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1));
    bytes += pair ? 4 : jsonBytes(text.charCodeAt(i));
    if (pair) i++;
    if (bytes <= maxBytes - ELLIPSIS) fits = i + 1;
    if (bytes > maxBytes) return `${text.slice(0, fits)}…`;
  }
  return text;
}

/** What one UTF-16 unit (not part of a pair) takes in JSON: its escape, or its UTF-8 length. */
function jsonBytes(code: number): number {
  if (code === 0x22 || code === 0x5c) return 2; // \" and \\
  if (code < 0x20) return [8, 9, 10, 12, 13].includes(code) ? 2 : 6; // \n … or \u0001
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  return isHighSurrogate(code) || isLowSurrogate(code) ? 6 : 3; // a lone surrogate is escaped as \udXXX
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;
