/**
 * Requirement lines with private feed tokens (`-i https://{token}@feed/…`) must reach Azure in clear,
 * but operations are stored redacted and never hold secrets. Between validation and the step that
 * sends them, the unredacted lines wait here, in this process's memory only, for a few minutes.
 * A step that finds the operation's lines redacted and nothing here (after a restart, or on another
 * replica) fails and asks for the request again; lines without secrets never need this.
 */
import { createHash } from 'node:crypto';
import { parseRequirements, redactedRequirementsText } from '../../../domain/requirements';
import { REDACTED } from '../../../domain/secrets';

const TTL_MS = 10 * 60_000;

export interface RequirementLines {
  /** Safe to store and show. */
  redacted: string[];
  /** What pip must see; equal to `redacted` unless the text holds a secret. */
  raw: string[];
}

/** The logical lines of requirements.txt text: continuations joined, blanks and comment-only lines left out. */
export function requirementLines(text: string): RequirementLines {
  const redacted = redactedRequirementsText(parseRequirements(text))
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'));
  const raw: string[] = [];
  let carry = '';
  for (const physical of text.replace(/^\ufeff/, '').split(/\r\n|\r|\n/)) {
    const line = carry + physical;
    if (line.endsWith('\\')) {
      carry = line.slice(0, -1);
      continue;
    }
    carry = '';
    if (line.trim() && !line.trim().startsWith('#')) raw.push(line.trimEnd());
  }
  if (carry.trim()) raw.push(carry.trimEnd());
  return { redacted, raw };
}

export class PendingRequirements {
  private readonly entries = new Map<string, { raw: string[]; expires: number }>();

  /** Keeps the unredacted lines for the operation that will carry `redacted`; nothing without secrets. */
  remember(kind: string, runtimeKey: string, lines: RequirementLines, now: number): void {
    for (const [key, entry] of this.entries) if (entry.expires <= now) this.entries.delete(key);
    if (lines.raw.join('\n') === lines.redacted.join('\n')) return;
    this.entries.set(key(kind, runtimeKey, lines.redacted), { raw: lines.raw, expires: now + TTL_MS });
  }

  /**
   * The lines to send for an operation's stored (redacted) lines: the remembered originals, or the
   * stored lines themselves when they hold no redaction. Undefined when a secret was lost.
   */
  recall(kind: string, runtimeKey: string, redacted: string[], now: number): string[] | undefined {
    const entry = this.entries.get(key(kind, runtimeKey, redacted));
    if (entry && entry.expires > now) return entry.raw;
    return redacted.some((l) => l.includes(REDACTED)) ? undefined : redacted;
  }

  forget(kind: string, runtimeKey: string, redacted: string[]): void {
    this.entries.delete(key(kind, runtimeKey, redacted));
  }
}

function key(kind: string, runtimeKey: string, redacted: string[]): string {
  return createHash('sha256')
    .update(`${kind}\n${runtimeKey}\n${redacted.join('\n')}`)
    .digest('hex');
}
