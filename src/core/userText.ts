/**
 * User-supplied text inside the bot's own sentences. Replies are markdown, so a runtime name like
 * `[x](https://evil)` or `**x**` must not become a link or bold text, and `<img …>` must not become
 * HTML: user text is shown as inline code, with the characters that could escape it replaced.
 */
const CONTROL = /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g;

export function quoted(text: string, max = 60): string {
  // Also break `](`: some clients still read a link in code, and the name stays readable.
  const clean = text
    .replace(CONTROL, ' ')
    .replace(/`/g, "'")
    .replace(/</g, '‹')
    .replace(/>/g, '›')
    .replace(/\]\(/g, '] (')
    .trim();
  const cut = clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
  return `\`${cut || ' '}\``;
}

/** Escapes markdown and HTML in a whole sentence that came from elsewhere (the service's details). */
export function escapeMarkdown(text: string): string {
  return text
    .replace(CONTROL, ' ')
    .replace(/[\\`*_{}[\]()#+!|~]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}
