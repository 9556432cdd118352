/** Rendered cards are reused for an identical view model, and nobody can change a shared one. */
import { describe, expect, it } from 'vitest';
import { renderCard } from '../../../../src/channels/teams/cards/render';
import { RenderCache } from '../../../../src/channels/teams/cards/renderCache';

describe('renderCard', () => {
  it('should return the same frozen card for equal data, and a new one for other data', () => {
    const data = { title: 'Alex', commands: [] as unknown[] };
    const first = renderCard('welcome', data);
    expect(renderCard('welcome', { ...data })).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => {
      (first as Record<string, unknown>).version = '1.0';
    }).toThrow(TypeError);
    expect(renderCard('welcome', { ...data, title: 'Megan' })).not.toBe(first);
  });
});

describe('RenderCache', () => {
  it('should render each view model once, and forget the least recently used past its size', () => {
    const cache = new RenderCache<{ n: number }>(2);
    let renders = 0;
    const render = (n: number) => () => ({ n: (renders++, n) });
    const one = cache.get('t', { n: 1 }, render(1));
    cache.get('t', { n: 2 }, render(2));
    expect(cache.get('t', { n: 1 }, render(1))).toBe(one); // 1 is now the most recent
    cache.get('t', { n: 3 }, render(3)); // evicts 2
    expect(renders).toBe(3);
    cache.get('t', { n: 1 }, render(1));
    expect(renders).toBe(3);
    cache.get('t', { n: 2 }, render(2));
    expect(renders).toBe(4);
    // The template is part of the key: equal data in another template is another card.
    expect(cache.get('other', { n: 1 }, render(1))).not.toBe(one);
  });

  it('should not keep a render that failed', () => {
    const cache = new RenderCache<{ ok: boolean }>();
    expect(() =>
      cache.get('t', { a: 1 }, () => {
        throw new Error('too large');
      }),
    ).toThrow('too large');
    expect(cache.get('t', { a: 1 }, () => ({ ok: true }))).toEqual({ ok: true });
  });
});
