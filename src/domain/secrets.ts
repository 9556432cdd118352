/**
 * Secret scrubbing. Private feed URLs carry tokens (`https://{token}@feed/…`) and tokens must never
 * reach a card, a log or storage in clear, so every echo of user-supplied text passes through here.
 *
 * Everything here is linear in the text: URL userinfo is found by a hand-written pass (the pattern
 * it replaces backtracked on long dotted runs, 100 KB took seconds), and each keyword pattern is a
 * literal followed by quantified classes that are disjoint from what follows them, so no position
 * is tried twice.
 */
const BEARER = /\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
const KEY_VALUE = /\b((?:password|passwd|pwd|secret|token|api[-_]?key|client[-_]?secret)\s*[=:]\s*)[^\s&;,'"]+/gi;
/** Where a URL's authority ends; wider than RFC 3986, since masking too much is the safe side. */
const AUTHORITY_END = /[\s/\\"'<>]/;

export const REDACTED = '***';

export function redactSecrets(text: string): string {
  return maskUrlUserinfo(text).replace(BEARER, `$1${REDACTED}`).replace(KEY_VALUE, `$1${REDACTED}`);
}

/**
 * Spans of `user:token` in every `scheme://user:token@host`, in one pass. The last `@` of the
 * authority ends the userinfo, because a password may hold an unescaped `@`.
 */
export function userinfoSpans(text: string): Array<[start: number, end: number]> {
  const spans: Array<[number, number]> = [];
  for (let at = text.indexOf('://'); at >= 0;) {
    const start = at + 3;
    let end = start;
    let last = -1;
    for (; end < text.length && !AUTHORITY_END.test(text[end]); end++) if (text[end] === '@') last = end;
    if (last > start) spans.push([start, last]);
    at = text.indexOf('://', end);
  }
  return spans;
}

/** `https://user:token@feed/simple` → `https://***@feed/simple`, wherever a `://` appears. */
export function maskUrlUserinfo(text: string): string {
  let masked = '';
  let pos = 0;
  for (const [start, end] of userinfoSpans(text)) {
    masked += text.slice(pos, start) + REDACTED;
    pos = end;
  }
  return pos === 0 ? text : masked + text.slice(pos);
}

/** Deeply redacts every string in a JSON-like value; used by the logger. */
export function redactDeep<T>(value: T, depth = 0): T {
  if (depth > 8) return value;
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1)) as T;
  if (value instanceof Error) {
    const cause = value.cause === undefined ? {} : { cause: redactDeep(value.cause, depth + 1) };
    return {
      name: value.name,
      message: redactSecrets(value.message),
      stack: redactSecrets(value.stack ?? ''),
      ...cause,
    } as T;
  }
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = /^(authorization|password|secret|token|clientSecret|appPassword)$/i.test(k)
        ? REDACTED
        : redactDeep(v, depth + 1);
    }
    return out as T;
  }
  return value;
}
