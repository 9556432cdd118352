/**
 * What the core says, as structured text: runs of plain words, emphasis, code and links, with no
 * markup of any channel inside. Each channel renders it (Teams: markdown or card text; a test: plain
 * text), so user-supplied words stay words everywhere: only the renderer adds markup, and it
 * escapes every run.
 */
export type Run =
  | { text: string; strong?: undefined; code?: undefined; href?: undefined }
  | { text: string; strong: true; code?: undefined; href?: undefined }
  | { text: string; code: true; strong?: undefined; href?: undefined }
  | { text: string; href: string; strong?: undefined; code?: undefined };

export type Text = readonly Run[];

/** A piece of a sentence: a string is plain words, whatever it contains. */
export type Part = string | number | Run | Text;

export const strong = (text: string): Run => ({ text, strong: true });
export const code = (text: string): Run => ({ text, code: true });
export const link = (text: string, href: string): Run => ({ text, href });

/** The parts one after another, as one text. */
export function text(...parts: Part[]): Text {
  const runs: Run[] = [];
  for (const part of parts) {
    if (typeof part === 'string' || typeof part === 'number') runs.push({ text: String(part) });
    else if (Array.isArray(part)) runs.push(...(part as Text));
    else runs.push(part as Run);
  }
  return runs.filter((r) => r.text !== '');
}

/** A sentence from a template: t`There is no runtime ${code(name)}.` */
export function t(literals: TemplateStringsArray, ...parts: Part[]): Text {
  return text(...literals.flatMap((literal, i) => (i < parts.length ? [literal, parts[i]!] : [literal])));
}

/** Texts joined by a separator (a line break, a comma). */
export function joinText(texts: readonly Text[], separator: Part): Text {
  return text(...texts.flatMap((x, i) => (i ? [separator, x] : [x])));
}

/**
 * A message written by the core itself (an AppError's), where backquotes mark code: `help`.
 * User words inside it come through quoted() (userText.ts), which leaves no backquote in them.
 */
export function fromMessage(message: string): Text {
  return text(...message.split('`').map((piece, i) => (i % 2 ? code(piece) : piece)));
}

/** The words alone, for logs, tests and channels without formatting. */
export function plainText(value: Text): string {
  return value.map((r) => (r.href ? `${r.text} (${r.href})` : r.text)).join('');
}
