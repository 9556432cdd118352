/**
 * Small helpers shared by the card views: status colours, type labels, dates, making user text safe
 * to show, excerpts of tool output, capped lists, action data, and rendering within the size budget.
 *
 * User text (names, descriptions, messages, pip output) only ever reaches a card as a data value,
 * and the templates put it in `TextRun`s, which render no markdown (TextBlock and Fact values do).
 */
import type { OperationKind, OperationStatus, Person, RuntimeType } from '../../../../domain/runtime';
import { type AdaptiveCard, CardTooLargeError, clip, renderCard } from '../render';
import type { Verb } from '../../../../core/actions/verbs';

/** The Adaptive Card text colours the cards use. */
export type TextColor = 'Default' | 'Accent' | 'Good' | 'Warning' | 'Attention';

/** A run of text in a RichTextBlock, for rows whose parts differ in colour or weight. */
export interface TextRunData {
  text: string;
  color: TextColor;
  weight: 'Default' | 'Bolder';
  isSubtle: boolean;
}

export function run(text: string, style: Partial<Omit<TextRunData, 'text'>> = {}): TextRunData {
  return {
    text: text || '—',
    color: style.color ?? 'Default',
    weight: style.weight ?? 'Default',
    isSubtle: style.isSubtle ?? false,
  };
}

/** Separator between runs in one line. */
export const DOT = ' · ';

/** Running is good; failed or unavailable needs attention; transitions are a warning. */
export function statusColor(status: string): TextColor {
  switch (status) {
    case 'Running':
      return 'Good';
    case 'Failed':
    case 'Unavailable':
      return 'Attention';
    case 'Starting':
    case 'Updating':
    case 'Resetting':
    case 'Stopping':
      return 'Warning';
    default:
      return 'Default';
  }
}

/** An operation's state in words and colour (no icons: screen readers and every client agree). */
export function operationState(status: OperationStatus | string): { text: string; color: TextColor } {
  switch (status) {
    case 'Succeeded':
      return { text: 'Done', color: 'Good' };
    case 'Failed':
      return { text: 'Failed', color: 'Attention' };
    case 'NotStarted':
      return { text: 'Queued', color: 'Accent' };
    default:
      return { text: 'In progress', color: 'Accent' };
  }
}

/** Past tense of an operation's status, for "install succeeded". */
export function operationOutcome(status: OperationStatus | string): string {
  switch (status) {
    case 'Succeeded':
      return 'succeeded';
    case 'Failed':
      return 'failed';
    case 'NotStarted':
      return 'queued';
    case 'Running':
      return 'running';
    default:
      return safeText(status, 30).toLowerCase();
  }
}

/** Today's names: Azure calls the automatic runtime a compute session since 2024. */
const TYPE_LABELS: Record<RuntimeType, string> = {
  automatic: 'Compute session',
  computeInstance: 'Compute instance',
  managedOnlineDeployment: 'Online deployment',
};

export function typeLabel(type: RuntimeType | string): string {
  return TYPE_LABELS[type as RuntimeType] ?? safeText(type, 40);
}

const KIND_LABELS: Record<OperationKind, string> = {
  create: 'Create',
  update: 'Update',
  install: 'Install packages',
  reset: 'Reset',
  stop: 'Stop',
  upgrade: 'Upgrade',
};

export function kindLabel(kind: OperationKind | string): string {
  return KIND_LABELS[kind as OperationKind] ?? safeText(kind, 40);
}

// C0/C1 controls (newline and tab are handled apart), bidi embeddings/overrides/isolates (they can make
// a name read as another), and the BOM. Right-to-left text itself is left alone: clients lay it out.
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFEFF]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * User text made safe to show on one line: control and bidi-override characters removed, whitespace
 * runs collapsed, clipped to `max` characters (never splitting a surrogate pair). Never empty:
 * empty text becomes `fallback`, since clients reject empty text.
 */
export function safeText(text: string | undefined | null, max: number, fallback = '—'): string {
  if (text === undefined || text === null) return fallback;
  const clean = String(text).replace(LONE_SURROGATE, '\uFFFD').replace(INVISIBLE, '').replace(/\s+/g, ' ').trim();
  return clean ? clipSafe(clean, max) : fallback;
}

/** Lines of multi-line user text (tool output), each made safe; blank lines dropped. */
export function safeLines(
  text: string | undefined,
  maxLines: number,
  maxChars: number,
  lineMax = 200,
): { lines: string[]; cut: boolean } {
  if (!text) return { lines: [], cut: false };
  const all = text
    .replace(LONE_SURROGATE, '\uFFFD')
    .split(/\r?\n|\r/)
    .map((l) => l.replace(/\t/g, '  ').replace(INVISIBLE, '').trimEnd())
    .filter((l) => l.trim());
  const lines: string[] = [];
  let used = 0;
  for (const line of all) {
    if (lines.length >= maxLines || used >= maxChars) break;
    const piece = clipSafe(line, Math.min(lineMax, maxChars - used));
    lines.push(piece);
    used += piece.length;
  }
  return { lines, cut: lines.length < all.length || lines.some((l, i) => l !== all[i]) };
}

function clipSafe(text: string, max: number): string {
  const clipped = clip(text, Math.max(2, max));
  // clip() may cut between the halves of a surrogate pair; drop the orphan half.
  return clipped.replace(/[\uD800-\uDBFF]…$/, '…');
}

export function personName(p: Person | undefined, max = 60): string {
  if (!p) return 'someone';
  return safeText(p.name || p.objectId, max, 'someone');
}

/** An instant the client shows in the reader's own time zone and locale ({{DATE}}/{{TIME}} functions). */
export function cardTime(iso: string | undefined): string {
  const rfc = rfc3339(iso);
  return rfc ? `{{DATE(${rfc}, SHORT)}} {{TIME(${rfc})}}` : 'unknown time';
}

/** Only the clock time, for step lists. */
export function cardClock(iso: string | undefined): string {
  const rfc = rfc3339(iso);
  return rfc ? `{{TIME(${rfc})}}` : '--:--';
}

/** The strict form the client's date functions need: no fractions, `Z`. */
function rfc3339(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "5 min ago", "in 2 h", "3 days ago", relative to `now`. Empty for an unreadable date. */
export function relative(iso: string | undefined, now: number): string {
  const at = iso ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(at)) return '';
  const diff = at - now;
  const abs = Math.abs(diff);
  let span: string;
  if (abs < 60_000) return 'just now';
  if (abs < 3_600_000) span = `${Math.round(abs / 60_000)} min`;
  else if (abs < 48 * 3_600_000) span = `${Math.round(abs / 3_600_000)} h`;
  else span = `${Math.round(abs / 86_400_000)} days`;
  return diff < 0 ? `${span} ago` : `in ${span}`;
}

/** A localized instant with its distance from now: "Jan 5, 2026 10:00 AM (3 h ago)". */
export function cardWhen(iso: string | undefined, now: number): string {
  const rel = relative(iso, now);
  return rel ? `${cardTime(iso)} (${rel})` : cardTime(iso);
}

/** The first items of a list and how many were left out. */
export function capList<T>(items: readonly T[], max: number): { shown: T[]; more: number } {
  return { shown: items.slice(0, max), more: Math.max(0, items.length - max) };
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * A runtime name as action data. Real names are at most 63 characters (RUNTIME_NAME); a longer one
 * cannot be acted on anyway, so it is clipped to keep a page of buttons within the size budget.
 */
export function dataName(name: string): string {
  return clip(name, 80);
}

/** The data of an Action.Submit fallback: the Action.Execute's data plus its verb. */
export function submitData<D extends object>(verb: Verb, data: D): D & { verb: Verb } {
  return { ...data, verb };
}

/** An action's data and its fallback's, for templates that bind a whole data object. */
export interface ActionData<D extends object = Record<string, unknown>> {
  data: D;
  submit: D & { verb: Verb };
}

export function actionData<D extends object>(verb: Verb, data: D): ActionData<D> {
  return { data, submit: submitData(verb, data) };
}

/** Budgets of user text shrink by these factors when a card would not fit. */
const SCALES = [1, 0.5, 0.25, 0.1];

/** A length budget at a shrink factor; never below a readable minimum. */
export function budget(max: number, scale: number): number {
  return Math.max(12, Math.floor(max * scale));
}

/**
 * Renders a card whose data `build` makes at a given shrink factor: full budgets first, tighter ones
 * if the card would pass the size limit (e.g. long text in many fields at once). Throws the last
 * CardTooLargeError when even the tightest does not fit.
 */
export function renderWithin<T extends object>(name: string, build: (scale: number) => T): AdaptiveCard {
  let last: unknown;
  for (const scale of SCALES) {
    try {
      return renderCard(name, build(scale));
    } catch (e) {
      if (!(e instanceof CardTooLargeError)) throw e;
      last = e;
    }
  }
  throw last;
}
