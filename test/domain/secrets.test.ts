/**
 * Pattern redaction of free text (logs, error details): what it masks, and that it stays linear on any
 * input, because it runs on every log line and on text users paste.
 */
import { describe, expect, it } from 'vitest';
import { maskUrlUserinfo, REDACTED, redactSecrets, userinfoSpans } from '../../src/domain/secrets';
import { growth, linearBound } from '../helpers/growth';

const TOKEN = 'pat7Qx9Vb2Lm4Zr8';

describe('redactSecrets', () => {
  it.each([
    [`-i https://${TOKEN}@feed.example/simple`, `-i https://${REDACTED}@feed.example/simple`],
    [`https://build:${TOKEN}@feed.example`, `https://${REDACTED}@feed.example`],
    [`git+https://u:p@ss${TOKEN}@github.com/o/r`, `git+https://${REDACTED}@github.com/o/r`],
    [
      `two https://${TOKEN}@a.example and ftp://${TOKEN}@b.example`,
      `two https://***@a.example and ftp://***@b.example`,
    ],
    [`Authorization: Bearer ${TOKEN}`, `Authorization: Bearer ${REDACTED}`],
    [`password=${TOKEN}&user=alex`, `password=${REDACTED}&user=alex`],
    [`api_key: ${TOKEN}`, `api_key: ${REDACTED}`],
    [`client-secret = ${TOKEN}`, `client-secret = ${REDACTED}`],
  ])('should mask %j', (text, masked) => {
    expect(redactSecrets(text)).toBe(masked);
  });

  it.each([
    'https://pypi.org/simple/',
    'mail alex@example.com about https://feed.example/a@b',
    'a://',
    'no secrets here, only a.b.c.d',
  ])('should leave %j as it is', (text) => {
    expect(redactSecrets(text)).toBe(text);
  });

  // 100 KB of these took seconds with the old URL pattern (`a.` 40 KB: 1.5 s, 80 KB: 6.2 s).
  it.each([
    ['dotted runs', 'a.'],
    ['scheme-like runs', 'a+b.'],
    ['scheme separators', 'a://'],
    ['separators and at signs', '://@'],
    ['at signs', '@:'],
    ['bearer words', 'bearer '],
    ['key words', 'token = '],
    ['long whitespace after a key word', 'token     '],
  ])('should take linear time on %s', (_what, unit) => {
    const text = (size: number) => unit.repeat(Math.ceil(size / unit.length));
    expect(growth((size) => redactSecrets(text(size)), 10_000, 100_000)).toBeLessThan(linearBound(10_000, 100_000));
  });
});

describe('userinfoSpans', () => {
  it('should find the userinfo of every URL, up to the last at sign of its authority', () => {
    const text = `x https://a:b@c@host/p y ftp://t@h`;
    expect(userinfoSpans(text).map(([a, b]) => text.slice(a, b))).toEqual(['a:b@c', 't']);
  });

  it('should not take an at sign after the path starts', () => {
    expect(maskUrlUserinfo('https://host/a@b')).toBe('https://host/a@b');
  });
});
