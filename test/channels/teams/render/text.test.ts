/** The core's structured text as Teams markdown: the runs' markup, and user words kept inert. */
import { describe, expect, it } from 'vitest';
import { markdownOf } from '../../../../src/channels/teams/render/text';
import { code, link, strong, t } from '../../../../src/core/text';

describe('markdownOf', () => {
  it('should mark code, emphasis and https links', () => {
    expect(markdownOf(t`Say ${code('help')} or read ${link('the docs', 'https://learn.microsoft.com/x')}.`)).toBe(
      'Say `help` or read [the docs](https://learn.microsoft.com/x).',
    );
    expect(markdownOf(t`${strong('vmSize')}: too big\n- next`)).toBe('**vmSize**: too big\n- next');
  });

  it.each([
    ['[click](https://evil.example)', '\\[click\\]\\(https://evil.example\\)'],
    ['**bold** _it_ ~~x~~', '\\*\\*bold\\*\\* \\_it\\_ \\~\\~x\\~\\~'],
    [
      '<at>Megan</at> <img src=x onerror=alert(1)>',
      '&lt;at&gt;Megan&lt;/at&gt; &lt;img src=x onerror=alert\\(1\\)&gt;',
    ],
    ['`code` \\', '\\`code\\` \\\\'],
  ])('should keep the plain words %j inert', (hostile, escaped) => {
    expect(markdownOf(t`Name: ${hostile}`)).toBe(`Name: ${escaped}`);
  });

  it('should keep code spans closed and free of HTML and links', () => {
    expect(markdownOf([code('a`b <img> [x](y)')])).toBe("`a'b ‹img› [x] (y)`");
    expect(markdownOf([code('')])).toBe('` `');
  });

  it('should escape emphasised words and show a link that is not https as words', () => {
    expect(markdownOf([strong('*x*')])).toBe('**\\*x\\***');
    expect(markdownOf([link('x', 'javascript:alert(1)')])).toBe('x');
    expect(markdownOf([link('[y]', 'https://a.example/) [z](https://evil')])).toBe('\\[y\\]');
  });
});
