/**
 * Channel-agnostic parser for chat commands such as `runtime create rt-a --vm-size Standard_E4s_v3`.
 * It takes the text a channel delivers (Teams HTML with mentions, or plain text), normalizes it and
 * splits it shell-style. It never throws and runs in linear time: chat text is untrusted input.
 *
 * A private feed token may be typed anywhere (`status https://TOKEN@feed`, `-i TOKEN@host`, a quoted
 * description), and whatever the parser returns may be echoed, stored or logged. So the verb, the
 * args, the flags and every error are masked here, once, with the requirements parser's masker;
 * only `rest` keeps the raw text, for the install command's requirement lines, which must reach the
 * runtime service whole (it stores them masked).
 */
import { requirementsMasker } from '../../domain/requirements';

export interface ParsedCommand {
  /** Lower-cased verb, e.g. 'status'; '' when the message is empty (or only `runtime`). */
  verb: string;
  /** Positional arguments, case preserved. */
  args: string[];
  /** `--flag value`, `--flag=value`, or a boolean `--flag`. Keys lower-cased; last repeat wins. */
  flags: Record<string, string | true>;
  /**
   * Raw text after the verb (normalized, case and line breaks kept); `install` reads lines from it.
   * Unlike everything else here it is NOT masked: never echo, store or log it.
   */
  rest: string;
  /** True when the message started with a prefix (`runtime`, or its synonym `session`). */
  prefixed: boolean;
}

export type ParseResult = { ok: true; command: ParsedCommand } | { ok: false; error: string };

export const MAX_MESSAGE_LENGTH = 20_000;
export const COMMAND_PREFIX = 'runtime';
/**
 * Words that may come before any command. Azure renamed the automatic runtime "compute session" in
 * 2024, so `session status chat-dev` means `runtime status chat-dev`.
 */
export const COMMAND_PREFIXES: readonly string[] = [COMMAND_PREFIX, 'session'];

// `[^<>]*` / `[^<]*` rather than lazy `.*?`: a lazy scan to a missing `</at>` is quadratic on hostile input.
const MENTION = /<at\b[^<>]*>[^<]*<\/at\s*>/gi;
const STRAY_MENTION_TAG = /<\/?at\b[^<>]*>/gi;
const BLOCK_TAG = /<(?:\/?(?:p|div)|br)\b[^<>]*>/gi;
const INLINE_TAG = /<\/?(?:span|b|strong|i|em|u|s|code|pre|font)\b[^<>]*>/gi;
const ENTITY = /&(nbsp|amp|lt|gt|quot|apos|#39|#160);/gi;
const ENTITIES: Record<string, string> = {
  nbsp: ' ',
  '#160': ' ',
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  '#39': "'",
};
// NUL cannot survive dropControls, so it is a safe marker for "a block tag was here".
const BREAK = '\u0000';
const BREAK_RUN = /\u0000(?:\s*\u0000)*/g;
const WHITESPACE = /\s/;
const FANCY_DASH = /[\u2013\u2014]/;
const LETTER = /\p{L}/u;
const FLAG = /^--?\p{L}/u;

/** Removes Teams `<at>…</at>` mentions (any number, anywhere) and trims. */
export function stripMentions(text: string): string {
  return text.replace(MENTION, '').replace(STRAY_MENTION_TAG, '').trim();
}

/** Drops control characters (keeping \n and \t), turns CR/CRLF into \n, drops zero-width noise. */
function dropControls(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13) {
      if (text.charCodeAt(i + 1) !== 10) out += '\n';
      continue;
    }
    if ((c < 32 && c !== 9 && c !== 10) || (c >= 0x7f && c <= 0x9f) || c === 0x200b || c === 0xfeff) continue;
    out += text[i];
  }
  return out;
}

/**
 * Plain text from what a channel delivers: mentions and simple Teams HTML removed (block tags become
 * one line break), the common entities decoded, non-breaking spaces made plain and curly quotes straight.
 */
export function normalizeChatText(text: string): string {
  if (typeof text !== 'string') return '';
  return stripMentions(dropControls(text))
    .replace(BLOCK_TAG, BREAK)
    .replace(BREAK_RUN, '\n')
    .replace(INLINE_TAG, '')
    .replace(ENTITY, (m, name: string) => ENTITIES[name.toLowerCase()] ?? m)
    .replace(/\u00a0/g, ' ')
    .replace(/[\u201c\u201d\u201e]/g, '"')
    .replace(/[\u2018\u2019\u201a]/g, "'")
    .trim();
}

interface Token {
  value: string;
  /** Started with a quote: never a flag, the prefix or the `--` terminator. */
  quoted: boolean;
  /** First token on its line: a flag's value never comes from the next line (`install --restart\npandas`). */
  lineStart: boolean;
  end: number;
}

function snippet(text: string, from: number): string {
  const s = text.slice(from, from + 60).replace(/\s+/g, ' ');
  return from + 60 < text.length ? s + '…' : s;
}

/**
 * Shell-like split. Quotes open only at the start of a token or right after the `=` of a flag, so
 * apostrophes inside words (`don't`) stay literal. Every character is visited once.
 */
function tokenize(text: string): { tokens: Token[] } | { unterminatedAt: number } {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    let lineStart = tokens.length === 0;
    for (; i < n && WHITESPACE.test(text[i]); i++) if (text[i] === '\n') lineStart = true;
    if (i >= n) break;
    const start = i;
    let value = '';
    let quoted = false;
    let canQuote = true;
    let sawEq = false;
    // Autocorrect turns `--` into an em/en dash; at the start of a token it still means `--`.
    if (FANCY_DASH.test(text[i])) {
      let j = i;
      while (j < n && FANCY_DASH.test(text[j])) j++;
      if (j >= n || WHITESPACE.test(text[j]) || LETTER.test(text[j])) {
        value = '--';
        i = j;
        canQuote = false;
      }
    }
    while (i < n && !WHITESPACE.test(text[i])) {
      const ch = text[i];
      if (canQuote && (ch === '"' || ch === "'")) {
        quoted ||= i === start;
        i++;
        while (i < n && text[i] !== ch) {
          // Only \" and \\ are escapes; other backslashes (Windows paths) stay literal.
          if (ch === '"' && text[i] === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) i++;
          value += text[i];
          i++;
        }
        if (i >= n) return { unterminatedAt: start };
        i++;
        canQuote = false;
        continue;
      }
      value += ch;
      i++;
      canQuote = ch === '=' && !sawEq && value[0] === '-';
      sawEq ||= ch === '=';
    }
    tokens.push({ value, quoted, lineStart, end: i });
  }
  return { tokens };
}

const isFlag = (t: Token): boolean => !t.quoted && FLAG.test(t.value);
const isTerminator = (t: Token): boolean => !t.quoted && t.value === '--';

/** Parses one chat message into a command. Never throws. */
export function parseCommand(text: string): ParseResult {
  const clean = normalizeChatText(text);
  if (clean.length > MAX_MESSAGE_LENGTH) {
    return {
      ok: false,
      error: `The message is too long (${clean.length} characters); the limit is ${MAX_MESSAGE_LENGTH}.`,
    };
  }
  const mask = requirementsMasker(clean);
  const split = tokenize(clean);
  // Masked before the cut, so the snippet cannot end inside a URL and show the start of its token.
  if ('unterminatedAt' in split)
    return { ok: false, error: `Unterminated quote in: ${snippet(mask(clean.slice(split.unterminatedAt)), 0)}` };
  const { tokens } = split;

  let idx = 0;
  let restFrom = 0;
  const first = tokens[0];
  const prefixed = first !== undefined && !first.quoted && COMMAND_PREFIXES.includes(first.value.toLowerCase());
  if (prefixed) {
    idx = 1;
    restFrom = first.end;
  }
  let verb = '';
  const verbToken = tokens[idx];
  // A leading flag (`runtime --help`) leaves the verb empty so the caller can show help.
  if (verbToken && !isFlag(verbToken) && !isTerminator(verbToken)) {
    verb = mask(verbToken.value).toLowerCase();
    restFrom = verbToken.end;
    idx++;
  }

  const args: string[] = [];
  // Null prototype: `--constructor x` or `--toString` must not collide with Object.prototype.
  const flags: Record<string, string | true> = Object.create(null);
  let flagsDone = false;
  for (; idx < tokens.length; idx++) {
    const token = tokens[idx];
    if (flagsDone || !isFlag(token)) {
      if (!flagsDone && isTerminator(token)) flagsDone = true;
      else args.push(mask(token.value));
      continue;
    }
    const body = mask(token.value.replace(/^--?/, ''));
    const eq = body.indexOf('=');
    if (eq >= 0) {
      flags[body.slice(0, eq).toLowerCase()] = body.slice(eq + 1);
      continue;
    }
    // Negative numbers (`--idle -5`) are not flags, so they are taken as the value here.
    const next = tokens[idx + 1];
    if (next && !next.lineStart && !isFlag(next) && !isTerminator(next)) {
      flags[body.toLowerCase()] = mask(next.value);
      idx++;
    } else {
      flags[body.toLowerCase()] = true;
    }
  }
  return { ok: true, command: { verb, args, flags, rest: clean.slice(restFrom).trim(), prefixed } };
}

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions (`stauts` → `status`). */
export function editDistance(a: string, b: string): number {
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      cur[j] = d;
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length];
}

/** "Did you mean …": the closest candidate within max(1, len/3) edits, else one the word starts. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const w = typeof word === 'string' ? word.trim().toLowerCase() : '';
  if (!w) return undefined;
  const limit = Math.max(1, Math.floor(w.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    // Cheap bound first so a 20 KB "word" costs nothing against short verbs.
    if (Math.abs(c.length - w.length) > limit) continue;
    const d = editDistance(w, c);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best !== undefined && bestDistance <= limit) return best;
  if (w.length < 2) return undefined;
  return candidates.find((c) => c.toLowerCase().startsWith(w));
}
