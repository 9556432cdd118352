/** The render helper's clip: a budget in bytes of the card's JSON, since Teams' 28 KB limit is bytes. */
import { describe, expect, it } from 'vitest';
import { clip } from '../../../../src/channels/teams/cards/render';

const jsonBytes = (text: string) => Buffer.byteLength(JSON.stringify(text)) - 2;

describe('clip', () => {
  it.each([
    ['ASCII', 'x'],
    ['CJK characters (3 bytes)', '漢'],
    ['accented letters (2 bytes)', 'é'],
    ['emoji (4 bytes, two UTF-16 units)', '😀'],
    ['quotes (escaped as 2 bytes)', '"'],
    ['backslashes (escaped as 2 bytes)', '\\'],
    ['line breaks (escaped as 2 bytes)', '\n'],
    ['control characters (escaped as 6 bytes)', '\u0001'],
    ['lone surrogates (escaped as 6 bytes)', '\ud800'],
  ])('should keep 8,000 %s within 1,000 bytes of JSON', (_what, unit) => {
    const clipped = clip(unit.repeat(8_000), 1000);
    expect(jsonBytes(clipped)).toBeLessThanOrEqual(1000);
    expect(jsonBytes(clipped)).toBeGreaterThan(990);
    expect(clipped.endsWith('…')).toBe(true);
  });

  it('should return text that fits as it is', () => {
    expect(clip('漢'.repeat(10), 30)).toBe('漢'.repeat(10));
    expect(clip('', 10)).toBe('');
    expect(clip(undefined, 10)).toBe('');
  });

  it('should never cut an emoji in two', () => {
    for (let max = 4; max < 20; max++) {
      const clipped = clip(`a${'😀'.repeat(10)}`, max);
      expect(clipped).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
      expect(jsonBytes(clipped)).toBeLessThanOrEqual(max);
    }
  });
});
