/**
 * The core's structured text as Teams markdown. Every run is escaped, so words from users or the
 * service cannot become links, mentions, formatting or HTML; only the runs' own kinds add markup.
 */
import type { Run, Text } from '../../../core/text';

const CONTROL = /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g;
/** Only https links become links; anything else is shown as words. */
const SAFE_HREF = /^https:\/\/[^\s()<>[\]`"']{1,2000}$/;

export function markdownOf(text: Text): string {
  return text.map(markdownRun).join('');
}

function markdownRun(run: Run): string {
  if (run.code) return `\`${codeSpan(run.text)}\``;
  if (run.strong) return `**${escapeMarkdown(run.text).trim()}**`;
  if (run.href !== undefined && SAFE_HREF.test(run.href)) return `[${escapeMarkdown(run.text)}](${run.href})`;
  return escapeMarkdown(run.text);
}

/** Escapes markdown and HTML in words that came from elsewhere; line breaks stay. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, ' ')
    .replace(/[\\`*_{}[\]()#+!|~]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * Inside a code span nothing is formatting, but a backquote would end it, some clients still read
 * a link in `](`, and some render HTML.
 */
function codeSpan(text: string): string {
  const clean = text
    .replace(CONTROL, ' ')
    .replace(/`/g, "'")
    .replace(/</g, '‹')
    .replace(/>/g, '›')
    .replace(/\]\(/g, '] (');
  return clean.trim() ? clean : ' ';
}
