/**
 * A second renderer of the core's structured text, for assertions: code in backquotes, emphasis in
 * double stars, links as [text](href), words as they are (no escaping, unlike Teams' renderer).
 */
import type { Reply } from '../../src/core/replies';
import type { Text } from '../../src/core/text';

export function markup(text: Text): string {
  return text
    .map((r) => (r.code ? `\`${r.text}\`` : r.strong ? `**${r.text}**` : r.href ? `[${r.text}](${r.href})` : r.text))
    .join('');
}

type Rendered<R> = R extends { text: Text } ? Omit<R, 'text'> & { text: string } : R;

/** Replies with their text rendered by markup(), for comparing whole replies. */
export function withMarkup<R extends Reply>(reply: R): Rendered<R> {
  return ('text' in reply ? { ...reply, text: markup(reply.text) } : reply) as Rendered<R>;
}
