/**
 * Reads pip `requirements.txt` text pasted in chat for an automatic runtime. It follows pip's own reading of the
 * file (splitlines, backslash joining, ` #` comments, one option per line) so that what we accept pip accepts, rejects
 * what cannot work in a runtime (local paths, nested files, editables), and redacts feed tokens in everything it
 * returns, because the result is echoed on cards, logged and stored.
 *
 * Choices beyond the bare contract: unpinned `promptflow` / `promptflow-tools` pass silently (redundant, harmless);
 * a continued line is one entry, its text joined as pip joins it; `-f` URLs count as feeds like `-i`; a direct
 * reference with credentials is `privateFeed` too; `packages` holds only lines without errors; a line over the length
 * limit is echoed as `***` (it is refused whole); too many lines yields no `lines` at all. Feed tokens are learned
 * from every line, overlong ones included, and from option values written without a scheme (`-i TOKEN@host`).
 * Scans are loops or anchored regexes without ambiguous nested quantifiers, so parsing is linear in the text.
 */
import { createHash } from 'node:crypto';
import { masker, redactPatterns, secretsIn } from './feedTokens';
import { REDACTED } from './secrets';

export { requirementsMasker } from './feedTokens';

export interface RequirementLine {
  line: number;
  text: string;
  kind: 'package' | 'index' | 'option' | 'comment' | 'blank';
  name?: string;
  extras?: string[];
  specifier?: string;
  marker?: string;
  url?: string;
  indexUrl?: string;
  privateFeed?: boolean;
  /** Option lines: the canonical pip option, e.g. '--index-url' for `-i`. */
  option?: string;
  /** The line's (redacted) error, also listed in `errors`; such a line carries no parsed fields. */
  error?: string;
}
export interface RequirementProblem {
  line: number;
  message: string;
}
export interface ParsedRequirements {
  lines: RequirementLine[];
  packages: RequirementLine[];
  errors: RequirementProblem[];
  warnings: RequirementProblem[];
}

export const MAX_LINE_LENGTH = 1000;
export const MAX_LINES = 500;
/** The base image ships these; a pin would replace the image's tested copy. */
export const BASE_IMAGE_PACKAGES: ReadonlySet<string> = new Set(['promptflow', 'promptflow-tools']);

const PUBLIC_INDEX_HOSTS = new Set(['pypi.org', 'test.pypi.org', 'pypi.python.org', 'files.pythonhosted.org']);
const NAME_CHAR = /[A-Za-z0-9._-]/;
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const OPERATORS = ['===', '==', '!=', '~=', '<=', '>=', '<', '>'];
// PEP 440, slightly lenient on separators; every repeated group starts with a mandatory delimiter.
const VERSION =
  /^v?(?:\d+!)?\d+(?:\.\d+)*(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)(?:[-_.]?\d+)?)?(?:-\d+|[-_.]?(?:post|rev|r)(?:[-_.]?\d+)?)?(?:[-_.]?dev(?:[-_.]?\d+)?)?(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?$/i;
const RELEASE = /^v?(?:\d+!)?\d+(?:\.\d+)*$/i;
const HASH = /^(?:sha256|sha384|sha512):[0-9a-f]+$/i;
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const SCHEME_URL = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/;
const LOCAL_PREFIX = /^(?:\.|\/|\\|~|file:|[A-Za-z]:[\\/])/i;
const ARCHIVE = /\.(?:whl|zip|tar|tgz|tbz|txz|tar\.gz|tar\.bz2|tar\.xz)$/i;
// C0/C1 controls but tab, zero-width and bidi characters: they hide what a line really says.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
// pip's comment rule: `#` at the start or after whitespace; dotAll so `.*` always reaches the end (linear).
const COMMENT = /(?:^|\s)#.*$/s;

type Takes = 'url' | 'host' | 'binary' | 'flag' | 'file' | 'editable';
const OPTION_TABLE: Array<[aliases: string, takes: Takes]> = [
  ['-i --index-url', 'url'],
  ['--extra-index-url', 'url'],
  ['-f --find-links', 'url'],
  ['--trusted-host', 'host'],
  ['--pre --prefer-binary', 'flag'],
  ['--no-binary', 'binary'],
  ['--only-binary', 'binary'],
  ['-r --requirement', 'file'],
  ['-c --constraint', 'file'],
  ['-e --editable', 'editable'],
];
// A Map, not an object literal, so `--constructor` or `__proto__` cannot hit a prototype key. The value's name is
// the canonical (last) alias, except for flags, which are all distinct options.
const OPTIONS = new Map<string, [name: string, takes: Takes]>(
  OPTION_TABLE.flatMap(([aliases, takes]) => {
    const all = aliases.split(' ');
    return all.map((a): [string, [string, Takes]] => [a, [takes === 'flag' ? a : all[all.length - 1], takes]]);
  }),
);

interface State {
  mask: (s: string) => string;
  scrub: (s: string) => string;
  privateFeed: boolean;
  warn: (line: number, message: string) => void;
}

export function parseRequirements(text: string): ParsedRequirements {
  const input = typeof text === 'string' ? text.replace(/^\ufeff/, '') : '';
  // Python's splitlines (what pip uses) breaks on \r too; the rarer breaks it knows are rejected as control chars.
  const physical = input.split(/\r\n|\r|\n/);
  if (physical[physical.length - 1] === '') physical.pop();
  const nonBlank = physical.reduce((n, l) => n + (l.trim() ? 1 : 0), 0);
  if (nonBlank > MAX_LINES) {
    const message = `too many requirement lines (${nonBlank}); the limit is ${MAX_LINES}`;
    return { lines: [], packages: [], errors: [{ line: 0, message }], warnings: [] };
  }
  const logical = joinContinuations(physical);
  // Every line teaches the masker, overlong ones too: their tokens may be repeated on a line that is echoed.
  const mask = masker(logical.flatMap((l) => secretsIn(l.raw)));
  const scrub = (s: string) => redactPatterns(mask(s));
  const errors: RequirementProblem[] = [];
  const warnings: RequirementProblem[] = [];
  const st: State = {
    mask,
    scrub,
    privateFeed: false,
    warn: (line, message) => warnings.push({ line, message: scrub(`line ${line}: ${message}`) }),
  };
  const lines = logical.map(({ line, raw }) => {
    const entry = parseLine(raw, line, st);
    if (entry.error) errors.push({ line, message: entry.error });
    return entry;
  });
  return { lines, packages: lines.filter((l) => l.kind === 'package' && !l.error), errors, warnings };
}

/** The redacted text of all lines joined with '\n' — safe to store and echo. */
export function redactedRequirementsText(parsed: ParsedRequirements): string {
  return parsed.lines.map((l) => l.text).join('\n');
}

/**
 * Stable sha256 hex of the ORIGINAL text (for idempotency comparisons without storing secrets). Line endings, a BOM
 * and trailing whitespace are normalised first, so the same paste from another client compares equal.
 */
export function requirementsFingerprint(text: string): string {
  const normalized = (typeof text === 'string' ? text : '')
    .replace(/^\ufeff/, '')
    .replace(/\r\n?/g, '\n')
    .trimEnd();
  return createHash('sha256').update(normalized, 'utf8').digest('hex');
}

/** pip's join_lines: a trailing backslash continues onto the next line unless the line is a comment. */
function joinContinuations(physical: string[]): Array<{ line: number; raw: string }> {
  const out: Array<{ line: number; raw: string }> = [];
  let parts: string[] = [];
  let first = 0;
  physical.forEach((raw, i) => {
    const comment = /^\s*#/.test(raw);
    if (!raw.endsWith('\\') || comment) {
      if (parts.length) parts.push(comment ? ` ${raw}` : raw);
      out.push(parts.length ? { line: first, raw: parts.join('') } : { line: i + 1, raw });
      parts = [];
    } else {
      if (!parts.length) first = i + 1;
      let end = raw.length;
      while (raw[end - 1] === '\\') end--; // a loop: `/\\+$/` is quadratic on long runs of backslashes
      parts.push(raw.slice(0, end));
    }
  });
  if (parts.length) out.push({ line: first, raw: parts.join('') });
  return out;
}

function parseLine(raw: string, line: number, st: State): RequirementLine {
  const { scrub } = st;
  const fail = (entry: RequirementLine, message: string): RequirementLine => {
    const { text, kind, option } = entry;
    return { line, text: scrub(text), kind, ...(option && { option: scrub(option) }), error: scrub(message) };
  };
  if (raw.length > MAX_LINE_LENGTH) {
    // Refused whole: nothing of it is echoed back, so no cut can leave part of a token showing.
    const kind = raw.trimStart().startsWith('-') ? 'option' : 'package';
    return fail({ line, text: REDACTED, kind }, `line ${line} is longer than ${MAX_LINE_LENGTH} characters`);
  }
  // Parse with userinfo already masked, so no fragment quoted in a message can hold part of a token.
  const content = st.mask(raw).replace(COMMENT, '').trim();
  const kind = !content ? (raw.trim() ? 'comment' : 'blank') : content.startsWith('-') ? 'option' : 'package';
  const entry: RequirementLine = { line, text: raw, kind };
  if (raw.search(CONTROL) >= 0) {
    const text = raw.replace(CONTROL, '\ufffd');
    return fail({ ...entry, text }, `line ${line}: the line contains control or invisible characters; retype it`);
  }
  const parse = kind === 'option' ? parseOption : kind === 'package' ? parsePackage : undefined;
  const error = parse?.(content, entry, st);
  if (error) return fail(entry, `line ${line}: ${error}`);
  for (const key of ['text', 'name', 'specifier', 'marker', 'url', 'indexUrl', 'option'] as const) {
    const value = entry[key];
    if (value !== undefined) entry[key] = scrub(value);
  }
  if (entry.extras) entry.extras = entry.extras.map(scrub);
  return entry;
}

function parseOption(content: string, e: RequirementLine, st: State): string | undefined {
  const q = quote(content);
  const tokens = content.split(/\s+/);
  let [flag, value] = splitFlag(tokens[0]);
  if (!flag.startsWith('--') && flag.length > 2) [flag, value] = [flag.slice(0, 2), flag.slice(2)]; // `-ihttps://…`
  const known = OPTIONS.get(flag);
  if (!known) return `pip option ${clip(flag, 40)} is not supported here`;
  const [name, takes] = known;
  e.option = name;
  const rest = tokens.slice(1);
  if (takes !== 'flag' && value === undefined) value = rest.shift();
  if (takes === 'file') {
    return name === '--requirement'
      ? `${q} includes another file, which cannot be resolved here; paste its lines instead`
      : `${q} includes a constraints file, which cannot be resolved here; paste the pins you need as requirements instead`;
  }
  if (takes === 'editable') {
    return value && !LOCAL_PREFIX.test(value)
      ? `editable installs are not supported (${q}); install a released version instead`
      : localPath(content);
  }
  if (rest.length || (takes === 'flag' && value !== undefined)) {
    return `${q} has unexpected text after ${name}; put each option on its own line`;
  }
  if (takes === 'flag') return undefined;
  if (!value) return `${flag} needs a ${takes === 'url' ? 'URL' : takes === 'host' ? 'host name' : 'value'}`;
  if (takes === 'host' && !HOST.test(value)) return `--trusted-host needs a host name, got ${quote(value)}`;
  if (takes === 'binary' && !value.split(',').every((v) => v === ':all:' || v === ':none:' || NAME.test(v))) {
    return `${name} needs :all:, :none: or package names, got ${quote(value)}`;
  }
  if (takes !== 'url') return undefined;
  e.kind = 'index';
  if (LOCAL_PREFIX.test(value)) return localPath(value);
  const url = splitUrl(value);
  if (!url || (url.scheme !== 'http' && url.scheme !== 'https'))
    return `${flag} needs an http(s) URL, got ${quote(value)}`;
  if (!HOST.test(url.host)) return `${q} has no valid host name in its URL`;
  e.indexUrl = value;
  e.privateFeed = url.userinfo !== undefined;
  // pip applies options file-wide, but "in effect before this line" is the contract callers rely on.
  st.privateFeed ||= e.privateFeed || !PUBLIC_INDEX_HOSTS.has(url.host);
  return undefined;
}

function parsePackage(content: string, e: RequirementLine, st: State): string | undefined {
  const q = quote(content);
  const tokens = content.split(/\s+/);
  const cut = tokens.findIndex((t) => t.startsWith('-')); // pip: per-requirement options start at the first `-` token
  const req = (cut < 0 ? tokens : tokens.slice(0, cut)).join(' ');
  const head = tokens[0];
  if (/^file:/i.test(head)) return localPath(head);
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(head))
    return `${q} needs a package name; write it as "name @ ${clip(head, 60)}"`;
  const path = head.split(/[[;@]/)[0]; // pip treats anything path-like or archive-named as a local file
  if (!head.includes('://') && (LOCAL_PREFIX.test(path) || /[/\\]/.test(path) || ARCHIVE.test(path))) {
    return localPath(head);
  }
  let i = 0;
  while (i < req.length && NAME_CHAR.test(req[i])) i++;
  if (!NAME.test(req.slice(0, i))) return `${q} is not a valid requirement`;
  const name = normalizeName(req.slice(0, i));
  let rest = req.slice(i).trimStart();
  let extras: string[] | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return `${q} has an unclosed "["`;
    const inner = rest.slice(1, close).trim();
    extras = inner ? inner.split(',').map((x) => x.trim()) : [];
    if (!extras.every((x) => NAME.test(x))) return `${q} has an invalid extra`;
    extras = extras.map(normalizeName); // PEP 685
    rest = rest.slice(close + 1).trimStart();
  }
  let specifier = '';
  let marker: string | undefined;
  let url: string | undefined;
  if (rest.startsWith('@')) {
    // PEP 508: `name @ url ; marker` — the `;` needs whitespace before it, since URLs may contain one.
    const after = rest.slice(1).trim();
    const space = after.search(/\s/);
    url = space < 0 ? after : after.slice(0, space);
    const tail = space < 0 ? '' : after.slice(space).trim();
    if (!url) return `${q} has "@" but no URL`;
    if (tail && !tail.startsWith(';')) return `${q} is not a valid requirement`;
    if (tail) marker = tail.slice(1).trim();
    if (LOCAL_PREFIX.test(url)) return localPath(url);
    const parsed = splitUrl(url);
    if (!parsed || !['http', 'https', 'git+https'].includes(parsed.scheme) || !HOST.test(parsed.host)) {
      return `${q} needs an https URL after "@"`;
    }
    e.privateFeed = st.privateFeed || parsed.userinfo !== undefined;
  } else {
    const semi = rest.indexOf(';');
    let spec = (semi < 0 ? rest : rest.slice(0, semi)).trim();
    if (semi >= 0) marker = rest.slice(semi + 1).trim();
    if (spec.startsWith('(') && spec.endsWith(')')) spec = spec.slice(1, -1).trim(); // PEP 508 allows `name (>=1)`
    if (spec) {
      const result = parseSpecifier(spec, q);
      if (result.error !== undefined) return result.error;
      specifier = result.value;
    }
    e.privateFeed = st.privateFeed;
  }
  if (marker === '') return `${q} has ";" but no environment marker after it`;
  const options = cut < 0 ? [] : tokens.slice(cut);
  for (let k = 0; k < options.length; k++) {
    const [flag, inline] = splitFlag(options[k]);
    if (flag !== '--hash') return `pip option ${clip(flag, 40)} is not supported here`;
    const hash = inline ?? options[++k];
    if (!hash || !HASH.test(hash)) return `${q}: --hash needs a value like sha256:<hex digest>`;
  }
  Object.assign(e, { name, ...(extras && { extras }), specifier, ...(marker && { marker }), ...(url && { url }) });
  if (BASE_IMAGE_PACKAGES.has(name) && (specifier || url)) {
    st.warn(e.line, `${q} pins ${name}, which the base image provides; remove the version to keep its copy`);
  }
  return undefined;
}

function parseSpecifier(spec: string, q: string): { value: string; error?: undefined } | { error: string } {
  const clauses: string[] = [];
  for (const clause of spec.split(',').map((c) => c.trim())) {
    if (!clause) return { error: `${q} has an empty version specifier; check the commas` };
    const op = OPERATORS.find((o) => clause.startsWith(o));
    if (!op) {
      if (/^\d/.test(clause))
        return { error: `${q} needs an operator before the version, e.g. "==${clip(clause, 20)}"` };
      if (clause.startsWith('=')) return { error: `${q} uses "="; use "==" to pin a version` };
      return { error: `${q} is not a valid requirement` };
    }
    const version = clause.slice(op.length).trim();
    if (!version) return { error: `${q} has an operator but no version` };
    const wildcard = version.endsWith('.*');
    if (wildcard && op !== '==' && op !== '!=')
      return { error: `${q} uses a wildcard, which only works with == and !=` };
    const valid =
      op === '===' ? !/\s/.test(version) : wildcard ? RELEASE.test(version.slice(0, -2)) : VERSION.test(version);
    if (!valid) return { error: `${q} has an invalid version ${quote(version)}` };
    clauses.push(op + version);
  }
  return { value: clauses.join(',') };
}

function splitUrl(url: string): { scheme: string; userinfo?: string; host: string } | undefined {
  const m = SCHEME_URL.exec(url);
  if (!m) return undefined;
  const at = m[2].lastIndexOf('@'); // the last `@`: a password may contain an unescaped one
  const hostPort = m[2].slice(at + 1).toLowerCase();
  return {
    scheme: m[1].toLowerCase(),
    host: hostPort.replace(/:\d*$/, ''),
    ...(at > 0 && { userinfo: m[2].slice(0, at) }),
  };
}

/** PEP 503: lowercase, runs of `-_.` become one `-`. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

function localPath(what: string): string {
  return `local wheels and paths are not supported (${quote(what)}); publish the package to a feed`;
}

/** Redacts before clipping, so a cut can never leave part of a secret unmasked. */
function clip(s: string, max: number): string {
  const clean = redactPatterns(s);
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

function quote(s: string): string {
  return `"${clip(s, 80)}"`;
}

function splitFlag(token: string): [string, string | undefined] {
  const eq = token.indexOf('=');
  return token.startsWith('--') && eq > 0 ? [token.slice(0, eq), token.slice(eq + 1)] : [token, undefined];
}
