/**
 * Storage keys as blob names, reversibly. Every character but `A-Z a-z 0-9 _ -` is written as
 * `~XX` per UTF-8 byte, so a name holds only characters that mean nothing in a URL or a path: no
 * segment is `.` or `..` or ends in a dot, no `%` is decoded twice on the way, no control
 * character or backslash reaches the service, and names compare by case as keys do. Each
 * character is encoded on its own, so the encoding of a key's start is the start of the key's
 * encoding: prefix listing works on encoded names.
 */
import { InvalidKeyError } from './storage';

/** Azure's limits on a blob name. */
const MAX_NAME_LENGTH = 1024;
const MAX_SEGMENTS = 254;

const PLAIN = /^[A-Za-z0-9_-]$/;
const ESCAPED = /~([0-9A-F]{2})/g;

export function encodeSegment(text: string): string {
  let out = '';
  for (const char of text) {
    if (PLAIN.test(char)) out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `~${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** undefined when the text is not an encoding this module made (a foreign blob in the container). */
export function decodeSegment(text: string): string | undefined {
  if (!/^(?:[A-Za-z0-9_-]|~[0-9A-F]{2})*$/.test(text)) return undefined;
  const bytes: number[] = [];
  let last = 0;
  for (const match of text.matchAll(ESCAPED)) {
    for (const char of text.slice(last, match.index)) bytes.push(char.charCodeAt(0));
    bytes.push(parseInt(match[1], 16));
    last = match.index + match[0].length;
  }
  for (const char of text.slice(last)) bytes.push(char.charCodeAt(0));
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}

/** The blob name of a checked key under `area/`. */
export function blobName(area: string, key: string): string {
  const segments = key.split('/');
  const name = `${area}/${segments.map(encodeSegment).join('/')}`;
  if (name.length > MAX_NAME_LENGTH)
    throw new InvalidKeyError(key, `it takes ${name.length} characters as a blob name (at most ${MAX_NAME_LENGTH})`);
  if (segments.length + 1 > MAX_SEGMENTS)
    throw new InvalidKeyError(key, `it has more than ${MAX_SEGMENTS - 1} segments`);
  return name;
}

/** The key of a blob name under `area/`, or undefined for a name this module did not make. */
export function keyOf(area: string, name: string): string | undefined {
  if (!name.startsWith(`${area}/`)) return undefined;
  const segments = name
    .slice(area.length + 1)
    .split('/')
    .map(decodeSegment);
  return segments.every((s): s is string => s !== undefined && s !== '') ? segments.join('/') : undefined;
}

/**
 * The blob-name prefix to list for a key prefix. A trailing high surrogate (half of a character)
 * is left out of the encoding; the caller filters the decoded keys by the full prefix.
 */
export function blobPrefix(area: string, prefix: string): string {
  const cut = prefix.lastIndexOf('/');
  const folder = cut >= 0 ? prefix.slice(0, cut).split('/').map(encodeSegment).join('/') + '/' : '';
  const start = prefix.slice(cut + 1).replace(/[\uD800-\uDBFF]$/, '');
  return `${area}/${folder}${encodeSegment(start)}`;
}
