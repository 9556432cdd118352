/**
 * Hostile values for the fuzzer: strings that have broken chat bots before (templates, markup,
 * controls, bidi marks, paths, prototype keys, huge runs, numbers out of range), odd-typed JSON, and
 * private feed tokens planted in every form pip takes them. Every planted token is remembered, so
 * the run can look for it afterwards in replies, logs and storage.
 *
 * No value contains `undefined`, `[object Object]` or an exception name: a reply that shows one of
 * those must have made it itself.
 */
import type { Random } from './random';

export const DEMO_RUNTIMES = ['chat-dev', 'prod-chat', 'rag-eval', 'ci-alex-runtime', 'legacy-ocr'];
const FEED_HOST = 'pkgs.example.com';

const STRINGS = [
  '',
  ' ',
  '${process.env.HOME}',
  '${$root.values.name}',
  '{{DATE(2026-01-01T00:00:00Z, SHORT)}}',
  '**bold** [link](http://evil.example)',
  '<script>alert(1)</script>',
  '<at>Runtime Bot</at>',
  '</at><at>',
  '&lt;at&gt;x&amp;&#39;',
  '\u202eevil\u202c',
  '\u200b\u200d\ufeff',
  'a\u0000b\u0007c\u001b[31m',
  '../../etc/passwd',
  'a/b',
  '%2F%2E%2E',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '-1',
  '0',
  '1e309',
  '99999999999999999999999',
  'NaN',
  '0x10',
  '漢字テスト',
  'مرحبا',
  '😀🚀👨‍👩‍👧',
  '"',
  "'",
  '\\',
  '--',
  '—save-only',
  'C:\\Windows\\system32',
  'file:///etc/passwd',
  'Standard_E4ds_v4',
  'sha256:abc',
];

export class Hostile {
  /** Every feed token planted so far. */
  readonly tokens: string[] = [];

  constructor(private readonly r: Random) {}

  /** A fresh feed token; nothing in it is special to markdown, so an echo would show it verbatim. */
  token(): string {
    const token = `pfTok${this.r.word(16)}`;
    this.tokens.push(token);
    return token;
  }

  /** A private feed URL carrying a fresh token. */
  feedUrl(): string {
    const token = this.token();
    return this.r.pick([
      `https://${token}@${FEED_HOST}/simple`,
      `https://build:${token}@${FEED_HOST}/simple/`,
      `git+https://${token}@github.com/contoso/private`,
    ]);
  }

  /** A requirement line with a fresh token, in one of the forms pip accepts (or nearly). */
  feedLine(): string {
    const token = this.token();
    return this.r.pick([
      `-i https://${token}@${FEED_HOST}/simple`,
      `--index-url=https://build:${token}@${FEED_HOST}/simple`,
      `--extra-index-url https://${token}@${FEED_HOST}/simple  # mirror, token ${token}`,
      `-i ${token}@${FEED_HOST}/simple`,
      `-i${token}@${FEED_HOST}/simple`,
      `--trusted-host ${token}@${FEED_HOST}`,
      `-f https://u:${token}@${FEED_HOST}/wheels/`,
      `privpkg @ https://${token}@${FEED_HOST}/privpkg-1.0-py3-none-any.whl`,
      `-i https://${token}@${FEED_HOST}/${'x'.repeat(1100)}`,
    ]);
  }

  /** Requirement text: good lines, bad lines, comments, and often a feed token repeated in a comment. */
  requirements(): string {
    const plantedBefore = this.tokens.length;
    const lines: string[] = [];
    for (let i = this.r.int(1, 6); i > 0; i--) {
      // Thunks, so that only the line picked plants its token.
      const line = this.r.pick<() => string>([
        () => 'numpy',
        () => 'openai>=1.30',
        () => 'tiktoken==0.7.0',
        () => 'promptflow==1.0.0',
        () => 'not a requirement!',
        () => 'pkg==1.0==2',
        () => '-r other.txt',
        () => './local.whl',
        () => `# ${this.string()}`,
        () => this.feedLine(),
        () => this.string(),
      ]);
      lines.push(line());
    }
    // Repeated bare in a comment: only a token this text also gives as a feed can be known to be one.
    const planted = this.tokens.length > plantedBefore ? this.tokens.at(-1) : undefined;
    if (planted && this.r.chance(0.3)) lines.push(`# the feed token is ${planted}`);
    return lines.join(this.r.pick(['\n', '\r\n', '\n\n', ' \\\n']));
  }

  /** One hostile string, sometimes long. */
  string(): string {
    switch (this.r.int(0, 9)) {
      case 0:
        return this.r.pick(DEMO_RUNTIMES);
      case 1:
        return this.feedUrl();
      case 2:
        return this.r.pick(['a.', 'x', '漢', '"', '\\', '😀', '-', '://@', '${', '<at>']).repeat(this.r.int(10, 1500));
      case 3:
        return `"${this.feedUrl()}`;
      default:
        return this.r.pick(STRINGS);
    }
  }

  /** Any JSON value, of any type, nested up to `depth`. */
  value(depth = 0): unknown {
    const kind = this.r.int(0, depth > 3 ? 5 : 9);
    switch (kind) {
      case 0:
      case 1:
      case 2:
        return this.string();
      case 3:
        return this.r.pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1, 42]);
      case 4:
        return this.r.pick([true, false, null]);
      case 5:
        return this.feedUrl();
      case 6:
        return Array.from({ length: this.r.int(0, 4) }, () => this.value(depth + 1));
      case 7:
        return Object.fromEntries(
          Array.from({ length: this.r.int(0, 4) }, () => [this.r.pick(STRINGS), this.value(depth + 1)]),
        );
      case 8:
        return nested(this.r.int(10, 300), this.r.pick(['[]', '{}']));
      default:
        return Array.from({ length: this.r.int(50, 500) }, (_, i) => i);
    }
  }
}

/** A value nested `depth` levels deep, built without recursion. */
function nested(depth: number, shape: '[]' | '{}'): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = shape === '[]' ? [value] : { a: value };
  return value;
}
