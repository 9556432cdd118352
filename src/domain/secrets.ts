/**
 * Secret scrubbing. Private feed URLs carry tokens (`https://{token}@feed/…`) and tokens must never
 * reach a card, a log or storage in clear, so every echo of user-supplied text passes through here.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@]+)@/gi;
const BEARER = /\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
const KEY_VALUE = /\b((?:password|passwd|pwd|secret|token|api[-_]?key|client[-_]?secret)\s*[=:]\s*)[^\s&;,'"]+/gi;

export const REDACTED = '***';

export function redactSecrets(text: string): string {
  return text
    .replace(URL_USERINFO, `$1${REDACTED}@`)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(KEY_VALUE, `$1${REDACTED}`);
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
