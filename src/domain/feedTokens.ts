/**
 * Feed tokens in requirement text: pip options and URLs that carry credentials (`-i https://TOKEN@host`,
 * `--trusted-host TOKEN@host`, signed URLs' query secrets), learnt from a text and masked wherever they
 * appear again. Everything here is linear in the text: tokens are found by prefix lookup, not regexes.
 */
import { maskUrlUserinfo, REDACTED, redactSecrets, userinfoSpans } from './secrets';

// Signed URLs (Azure SAS, S3, GCS) carry their secret in the query rather than the userinfo.
const QUERY_SECRET = /([?&](?:sig|signature|x-amz-signature|x-goog-signature|access_token)=)[^&#\s'"]+/gi;
/** Known tokens sharing their first characters that are looked for elsewhere; more are only masked in place. */
const MAX_SECRETS_PER_PREFIX = 32;
const MIN_SECRET = 6; // shorter userinfo is still masked inside URLs, just not searched for elsewhere

/** Feed options whose value may carry credentials: `-i TOKEN@host/simple` works in pip without a scheme. */
const FEED_FLAGS = new Set(['-i', '--index-url', '--extra-index-url', '-f', '--find-links', '--trusted-host']);

/** The value of a feed option in `tokens[k]` (`--index-url=X`, `-iX`) or after it (`-i X`), if any. */
function feedValue(tokens: string[], k: number): string | undefined {
  const token = tokens[k];
  if (FEED_FLAGS.has(token)) return tokens[k + 1];
  const eq = token.indexOf('=');
  if (token.startsWith('--') && eq > 0 && FEED_FLAGS.has(token.slice(0, eq))) return token.slice(eq + 1);
  if (/^-[if][^-\s]/.test(token)) return token.slice(2);
  return undefined;
}

/**
 * Tokens that must be masked wherever they appear (a comment, another line, an error): the userinfo
 * of every URL, and of a feed option's value written without a scheme (`--trusted-host TOKEN@host`).
 */
export function secretsIn(raw: string): string[] {
  const found = userinfoSpans(raw).map(([a, b]) => raw.slice(a, b));
  const tokens = raw.split(/\s+/);
  for (let k = 0; k < tokens.length; k++) {
    const value = feedValue(tokens, k);
    if (value === undefined || value.includes('://')) continue; // URLs are covered above
    const authority = value.split('/')[0];
    const at = authority.lastIndexOf('@');
    if (at > 0) found.push(authority.slice(0, at));
  }
  return found.flatMap((userinfo) => {
    const parts = [userinfo, userinfo.slice(userinfo.indexOf(':') + 1)];
    return parts.filter((s) => s.length >= MIN_SECRET && s !== REDACTED);
  });
}

/** Masks known tokens and URL userinfo; this keeps a line's structure, so the masked line is what gets parsed. */
export function masker(secrets: string[]): (s: string) => string {
  const known = knownTokens(secrets);
  return (s) => maskUrlUserinfo(known(s));
}

/**
 * Replaces every occurrence of the given tokens in one pass: tokens are indexed by their first
 * MIN_SECRET characters, so each position costs one map lookup however many tokens a text names (a
 * file may name a feed per line). Where tokens overlap, the longest wins.
 */
function knownTokens(secrets: string[]): (s: string) => string {
  const byPrefix = new Map<string, string[]>();
  for (const secret of new Set(secrets)) {
    const prefix = secret.slice(0, MIN_SECRET);
    const bucket = byPrefix.get(prefix) ?? [];
    if (bucket.length < MAX_SECRETS_PER_PREFIX) byPrefix.set(prefix, [...bucket, secret]);
  }
  for (const bucket of byPrefix.values()) bucket.sort((a, b) => b.length - a.length);
  if (byPrefix.size === 0) return (s) => s;
  return (s) => {
    let out = '';
    let pos = 0;
    for (let i = 0; i + MIN_SECRET <= s.length;) {
      const found = byPrefix.get(s.slice(i, i + MIN_SECRET))?.find((secret) => s.startsWith(secret, i));
      if (found) {
        out += s.slice(pos, i) + REDACTED;
        i += found.length;
        pos = i;
      } else i++;
    }
    return pos === 0 ? s : out + s.slice(pos);
  };
}

/**
 * A masker for text that may hold requirement lines or pip options anywhere (a form field, a chat
 * message): it learns every feed token in the text, and masks them and all URL userinfo in whatever
 * it is given. Linear in the text; use it rather than pattern redaction, which cannot know that
 * `TOKEN@host` after `-i` is a secret or find the same token again in a comment.
 */
export function requirementsMasker(text: string): (s: string) => string {
  const lines = typeof text === 'string' ? text.split(/\r\n|\r|\n/) : [];
  return masker(lines.flatMap(secretsIn));
}

/** Signed-URL query secrets and everything `redactSecrets` knows (bearer tokens, `password=`…). */
export function redactPatterns(s: string): string {
  return redactSecrets(s).replace(QUERY_SECRET, `$1${REDACTED}`);
}
