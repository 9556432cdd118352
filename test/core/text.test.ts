/** Structured text: runs built from templates and messages, and a channel without markup. */
import { describe, expect, it } from 'vitest';
import { code, fromMessage, joinText, link, plainText, strong, t, text } from '../../src/core/text';
import { quoted } from '../../src/core/userText';

describe('structured text', () => {
  it('should keep interpolated strings as plain runs, whatever they contain', () => {
    const name = '**x** [y](https://evil) `z`';
    expect(t`Stopped ${name}.`).toEqual([{ text: 'Stopped ' }, { text: name }, { text: '.' }]);
  });

  it('should splice runs and texts into a sentence and drop empty runs', () => {
    const hint = t` Did you mean ${code('status')}?`;
    expect(t`I don't know ${code('stauts')}.${hint}${[]}`).toEqual([
      { text: "I don't know " },
      { text: 'stauts', code: true },
      { text: '.' },
      { text: ' Did you mean ' },
      { text: 'status', code: true },
      { text: '?' },
    ]);
    expect(text(strong('a'), 1, link('docs', 'https://example.com'))).toEqual([
      { text: 'a', strong: true },
      { text: '1' },
      { text: 'docs', href: 'https://example.com' },
    ]);
    expect(joinText([text('a'), text('b')], ', ')).toEqual([{ text: 'a' }, { text: ', ' }, { text: 'b' }]);
  });

  it('should read backquotes in the bot’s own messages as code, with quoted() user words as one span', () => {
    const message = `Unknown role ${quoted('a`b **c**', 30)}: use owner.`;
    expect(fromMessage(message)).toEqual([
      { text: 'Unknown role ' },
      { text: "a'b **c**", code: true },
      { text: ': use owner.' },
    ]);
  });

  it('should render as plain words for a channel without formatting', () => {
    expect(plainText(t`See ${link('the docs', 'https://example.com/a')} or say ${code('help')}.`)).toBe(
      'See the docs (https://example.com/a) or say help.',
    );
  });
});
