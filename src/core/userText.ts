/**
 * User-supplied words inside the core's own messages (an AppError's message, where backquotes mark
 * code: text.ts `fromMessage`). The words become one code span: control characters and backquotes,
 * which would end it early, are replaced, and long input is cut. Channel markup is the renderer's
 * business: it escapes every run.
 */
const CONTROL = /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g;

export function quoted(text: string, max = 60): string {
  return `\`${quotedWords(text, max)}\``;
}

/** The same words without the backquotes around them, for a code run. */
export function quotedWords(text: string, max = 60): string {
  const clean = text.replace(CONTROL, ' ').replace(/`/g, "'").trim();
  const cut = clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
  return cut || ' ';
}
