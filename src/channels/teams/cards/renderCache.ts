/**
 * The rendered cards of the last few view models: a `status` that many people say while nothing
 * changes renders its card once. Keyed by the template and a hash of the data; a hit returns the
 * same frozen card, so no caller can change what the next one gets.
 */
import { createHash } from 'node:crypto';

const MAX_ENTRIES = 64;

export class RenderCache<T extends object> {
  private readonly cards = new Map<string, T>();

  constructor(private readonly max = MAX_ENTRIES) {}

  clear(): void {
    this.cards.clear();
  }

  /** The card for this template and data, from `render` on a miss. */
  get(template: string, data: object, render: () => T): T {
    const key = `${template}\n${createHash('sha1').update(JSON.stringify(data)).digest('base64url')}`;
    const hit = this.cards.get(key);
    if (hit) {
      this.cards.delete(key); // re-inserted last: the Map's order is the LRU order
      this.cards.set(key, hit);
      return hit;
    }
    const card = deepFreeze(render());
    this.cards.set(key, card);
    if (this.cards.size > this.max) this.cards.delete(this.cards.keys().next().value!);
    return card;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
