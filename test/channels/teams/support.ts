/** Shared bits of the bot's integration tests: where a message is said, and what a reply must not show. */
import { expect } from 'vitest';
import type { OperationRecord } from '../../../src/service/model';
import type { Where, Who } from '../../helpers/activities';
import type { RecordedCall } from '../../helpers/connector';
import type { Stack } from '../../helpers/stack';

/** Every command must work in a 1:1 chat and in a channel, where Teams adds an @mention. */
export const PLACES: [string, Where][] = [
  ['personal chat', { kind: 'personal' }],
  ['a channel with a mention', { kind: 'channel' }],
];

/** Crosses a table with PLACES, so `it.each` runs each row in both places (`$place` in titles). */
export function everywhere<T extends object>(rows: T[]): (T & { place: string; where: Where })[] {
  return rows.flatMap((row) => PLACES.map(([place, where]) => ({ ...row, place, where })));
}

/** The conversation id the activity factory uses for a place. */
export function conversationOf(where: Where, who = 'alex'): string {
  return where.conversationId ?? (where.kind === 'channel' ? '19:general@thread.tacv2' : `a:personal-${who}`);
}

/** The operations the runtime service has accepted, optionally of one kind on one runtime. */
export async function operations(stack: Stack, kind?: string, runtimeName?: string): Promise<OperationRecord[]> {
  return (await stack.service.engine.operations.all()).filter(
    (op) => (!kind || op.kind === kind) && (!runtimeName || op.runtimeName.toLowerCase() === runtimeName.toLowerCase()),
  );
}

/** The runtime as the service answers it over HTTP (undefined when it does not exist). */
export async function runtimeOf(stack: Stack, name: string): Promise<any> {
  const res = await fetch(`${stack.serviceUrl}/v1/runtimes/${encodeURIComponent(name)}`);
  return res.status === 200 ? res.json() : undefined;
}

/** Users must never see a stack trace, an exception name or a source file path. */
export function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/^\s*at \S.*:\d+:\d+\)?$/m);
  expect(text).not.toMatch(/\b(?:Type|Reference|Syntax|Range|Fetch|Abort|Authentication)?Error:/);
  expect(text).not.toMatch(/\b[\w.-]+\.(?:ts|js|mjs|cjs):\d+/);
  expect(text).not.toMatch(/node_modules|\/work\/|\/home\/|\/src\/|[A-Z]:\\/);
}

type Node = Record<string, unknown>;

/** Collects what a user reads on an Adaptive Card: text blocks, rich text, facts, inputs, buttons. */
function cardLines(node: unknown, out: string[]): void {
  if (Array.isArray(node)) {
    for (const n of node) cardLines(n, out);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const n = node as Node;
  const type = typeof n.type === 'string' ? n.type : '';
  if (type === 'TextBlock') out.push(String(n.text ?? ''));
  else if (type === 'RichTextBlock') {
    out.push(
      ((n.inlines as unknown[]) ?? [])
        .map((i) => (typeof i === 'string' ? i : String((i as Node).text ?? '')))
        .join(''),
    );
  } else if (type === 'FactSet') {
    for (const f of (n.facts as Node[]) ?? []) out.push(`${f.title}: ${f.value}`);
  } else if (type.startsWith('Input.')) {
    out.push([n.label, n.value, n.placeholder].filter((v) => typeof v === 'string' && v).join(' '));
  } else if (type.startsWith('Action.') && typeof n.title === 'string') {
    out.push(`[${n.title}]`);
  }
  for (const [key, value] of Object.entries(n)) {
    if (['inlines', 'facts', 'fallback', 'data', 'selectAction', 'choices'].includes(key)) continue;
    if (value && typeof value === 'object') cardLines(value, out);
  }
}

/**
 * What a user reads in a message, whether the bot sent markdown text or an Adaptive Card: markdown
 * emphasis and escapes are removed and runs of spaces squashed, so assertions hold for both.
 */
export function visibleText(activity: RecordedCall['activity'] | undefined): string {
  if (!activity) return '';
  const lines: string[] = [];
  if (typeof activity.text === 'string' && activity.text) {
    // Markdown: drop unescaped bold markers, then the escapes (`\*\*\*` is a redacted secret, not bold).
    lines.push(activity.text.replace(/(?<!\\)\*\*/g, '').replace(/\\([\\`*_{}[\]()#+!|<>~])/g, '$1'));
  }
  for (const a of activity.attachments ?? []) {
    if (a.contentType === 'application/vnd.microsoft.card.adaptive') cardLines(a.content, lines);
  }
  return squash(lines.join('\n'));
}

/** Collapses runs of spaces (not line breaks), as cards and markdown lay text out differently. */
export function squash(text: string): string {
  return text.replace(/[ \t\u00a0]+/g, ' ');
}

/** The text a message shows now: its last update, or what was sent. */
export function shownText(stack: Stack, messageId: string): string {
  const update = stack.connector.updates(messageId).at(-1);
  return visibleText((update ?? stack.connector.calls.find((c) => c.id === messageId))?.activity);
}

/** Says a message; returns the status, the visible text of each reply and the ids of the replies. */
export async function ask(
  stack: Stack,
  text: string,
  who: Who = 'alex',
  where: Where = { kind: 'personal' },
  extra: Record<string, unknown> = {},
) {
  const before = stack.connector.calls.length;
  const { status } = await stack.say(text, who, where, extra);
  const posted = stack.connector.calls.slice(before).filter((c) => c.method === 'POST');
  return { status, replies: posted.map((c) => visibleText(c.activity)), ids: posted.map((c) => c.id) };
}

/** True when the parts appear in this order, each within a short distance of the one before. */
export function inOrder(text: string, ...parts: string[]): boolean {
  const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(parts.map(literal).join('[\\s\\S]{0,40}?'), 'i').test(text);
}
