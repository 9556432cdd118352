/**
 * Validates an expanded Adaptive Card: first with the official `adaptivecards` SDK (parse events and
 * property validation at version 1.5), then with the rules this bot's cards follow:
 * - `type` AdaptiveCard, `version` 1.5;
 * - only properties the SDK knows for each element and action (typos and unresolved template keys
 *   such as `$when` fail), booleans where the schema has booleans;
 * - every action is an Action.Execute with a known verb, a title and object data, and an
 *   Action.Submit fallback with the same title, and data equal to the Execute's plus its verb;
 * - no empty texts, no empty collections, no `null`/`undefined`/`NaN` strings or null values.
 *
 * Parsing needs no DOM: the SDK only touches `document` when rendering.
 */
import { isDeepStrictEqual } from 'node:util';
import * as AC from 'adaptivecards';
import { Verb } from '../../src/core/actions/verbs';

const VERBS = new Set<string>(Object.values(Verb));

const ELEMENT_TYPES = [
  'TextBlock',
  'RichTextBlock',
  'Container',
  'ColumnSet',
  'FactSet',
  'ActionSet',
  'Image',
  'ImageSet',
  'Input.Text',
  'Input.Number',
  'Input.ChoiceSet',
  'Input.Toggle',
];

/** Properties the parser reads itself rather than through the schema. */
const ELEMENT_EXTRAS: Record<string, string[]> = {
  Container: ['items', 'fallback'],
  Column: ['items', 'fallback'],
  ColumnSet: ['columns', 'fallback'],
  RichTextBlock: ['inlines', 'fallback'],
  ActionSet: ['actions', 'fallback'],
  ImageSet: ['images', 'fallback'],
  'Input.ChoiceSet': ['choices', 'fallback'],
};

/** TextRun per the 1.5 schema (the SDK's class inherits layout properties TextRun does not have). */
const TEXT_RUN_KEYS = new Set([
  'type',
  'text',
  'color',
  'fontType',
  'highlight',
  'isSubtle',
  'italic',
  'lang',
  'selectAction',
  'size',
  'strikethrough',
  'underline',
  'weight',
]);
const CARD_EXTRAS = ['body', 'actions', 'msteams'];
const ACTION_EXTRAS = ['fallback'];
const BOOLEAN_KEYS = new Set([
  'wrap',
  'isSubtle',
  'separator',
  'bleed',
  'isVisible',
  'italic',
  'strikethrough',
  'underline',
  'highlight',
  'rtl',
  'isRequired',
  'isMultiline',
]);
const BAD_STRINGS = new Set(['undefined', 'null', 'NaN']);

function schemaKeys(o: AC.SerializableObject): Set<string> {
  const schema = o.getSchema();
  const keys = new Set<string>();
  for (let i = 0; i < schema.getCount(); i++) keys.add(schema.getItemAt(i).name);
  return keys;
}

let allowed: Map<string, Set<string>> | undefined;

/** Allowed property names per element or action type, from the SDK's own schema. */
function allowedKeys(): Map<string, Set<string>> {
  if (allowed) return allowed;
  allowed = new Map();
  for (const t of ELEMENT_TYPES) {
    const el = AC.GlobalRegistry.elements.createInstance(t, AC.Versions.v1_5);
    if (el) allowed.set(t, new Set([...schemaKeys(el), ...(ELEMENT_EXTRAS[t] ?? ['fallback'])]));
  }
  allowed.set('Column', new Set([...schemaKeys(new AC.Column()), ...ELEMENT_EXTRAS.Column]));
  allowed.set('TextRun', TEXT_RUN_KEYS);
  allowed.set('Fact', schemaKeys(new AC.Fact()));
  allowed.set('Choice', schemaKeys(new AC.Choice()));
  for (const t of ['Action.Execute', 'Action.Submit']) {
    const a = AC.GlobalRegistry.actions.createInstance(t, AC.Versions.v1_5);
    if (a) allowed.set(t, new Set([...schemaKeys(a), ...ACTION_EXTRAS]));
  }
  allowed.set('AdaptiveCard', new Set([...schemaKeys(new AC.AdaptiveCard()), ...CARD_EXTRAS]));
  return allowed;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Problems with a card, empty when it is valid. */
export function validateCard(card: unknown): string[] {
  const errors: string[] = [];
  if (!isObject(card)) return ['the card is not an object'];
  if (card.type !== 'AdaptiveCard') errors.push(`type is ${JSON.stringify(card.type)}, not AdaptiveCard`);
  if (card.version !== '1.5') errors.push(`version is ${JSON.stringify(card.version)}, not 1.5`);
  if (card.msteams !== undefined) {
    // Allowed: width Full, and mention entities whose <at> text appears in a TextBlock of the card.
    const { entities, ...rest } = card.msteams as { entities?: unknown[] } & Json;
    if (!isDeepStrictEqual(rest, { width: 'Full' }) && Object.keys(rest).length > 0)
      errors.push(`msteams is ${JSON.stringify(card.msteams)}`);
    for (const e of Array.isArray(entities) ? entities : entities === undefined ? [] : [entities]) {
      const m = e as { type?: string; text?: string; mentioned?: { id?: string; name?: string } };
      const ok = m.type === 'mention' && /^<at>.+<\/at>$/.test(m.text ?? '') && m.mentioned?.id && m.mentioned.name;
      if (!ok || !JSON.stringify(card.body).includes(JSON.stringify(m.text).slice(1, -1)))
        errors.push(`bad mention entity ${JSON.stringify(e)}`);
    }
  }
  if (!Array.isArray(card.body) || card.body.length === 0) errors.push('the card has no body');

  errors.push(...sdkErrors(card));
  const rules = new RuleWalker();
  rules.card(card);
  errors.push(...rules.errors);
  return errors;
}

/** What the official SDK finds: parse events (unknown types, invalid values) and property validation. */
function sdkErrors(card: Json): string[] {
  const errors: string[] = [];
  const context = new AC.SerializationContext(AC.Versions.v1_5);
  const parsed = new AC.AdaptiveCard();
  try {
    parsed.parse(card, context);
  } catch (e) {
    return [`adaptivecards: parse threw ${(e as Error).message}`];
  }
  for (let i = 0; i < context.eventCount; i++) {
    const e = context.getEventAt(i);
    errors.push(`adaptivecards: ${AC.ValidationEvent[e.event]}: ${e.message}`);
  }
  for (const e of parsed.validateProperties().validationEvents) {
    errors.push(`adaptivecards: ${AC.ValidationEvent[e.event]}: ${e.message}`);
  }
  // The SDK does not read actions' fallbacks; parse each one as an action of its own.
  forEachAction(card, (action, path) => {
    if (!isObject(action.fallback)) return;
    const ctx = new AC.SerializationContext(AC.Versions.v1_5);
    const fallback = ctx.parseAction(new AC.Container(), action.fallback, [], false);
    if (!fallback) errors.push(`${path}.fallback: adaptivecards could not parse it`);
    for (let i = 0; i < ctx.eventCount; i++) {
      const e = ctx.getEventAt(i);
      errors.push(`${path}.fallback: adaptivecards: ${AC.ValidationEvent[e.event]}: ${e.message}`);
    }
  });
  return errors;
}

function forEachAction(node: unknown, visit: (action: Json, path: string) => void, path = '$'): void {
  if (Array.isArray(node)) {
    for (const [i, n] of node.entries()) forEachAction(n, visit, `${path}[${i}]`);
    return;
  }
  if (!isObject(node)) return;
  if (typeof node.type === 'string' && node.type.startsWith('Action.')) visit(node, path);
  for (const [k, v] of Object.entries(node)) {
    if (k === 'data' || k === 'fallback') continue;
    forEachAction(v, visit, `${path}.${k}`);
  }
}

class RuleWalker {
  readonly errors: string[] = [];

  private error(path: string, message: string): void {
    this.errors.push(`${path}: ${message}`);
  }

  card(card: Json): void {
    this.keys(card, 'AdaptiveCard', '$');
    this.values(card, '$');
    this.elements(card.body, '$.body');
    if (card.actions !== undefined) this.actions(card.actions, '$.actions');
  }

  private keys(o: Json, type: string, path: string): void {
    const keys = allowedKeys().get(type);
    if (!keys) {
      this.error(path, `type ${JSON.stringify(type)} is not allowed in these cards`);
      return;
    }
    for (const [k, v] of Object.entries(o)) {
      if (!keys.has(k)) this.error(path, `${type} has no property ${JSON.stringify(k)}`);
      if (BOOLEAN_KEYS.has(k) && typeof v !== 'boolean')
        this.error(`${path}.${k}`, `must be a boolean, is ${JSON.stringify(v)}`);
    }
  }

  /** No null values and no null-ish strings anywhere, action data included. */
  private values(node: unknown, path: string): void {
    if (node === null) this.error(path, 'is null');
    else if (typeof node === 'string') {
      if (BAD_STRINGS.has(node.trim()) || node.includes('[object Object]'))
        this.error(path, `is the string ${JSON.stringify(node)}`);
    } else if (typeof node === 'number') {
      if (!Number.isFinite(node)) this.error(path, `is ${node}`);
    } else if (Array.isArray(node)) for (const [i, n] of node.entries()) this.values(n, `${path}[${i}]`);
    else if (isObject(node)) for (const [k, v] of Object.entries(node)) this.values(v, `${path}.${k}`);
  }

  private list(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) {
      this.error(path, 'must be an array');
      return [];
    }
    if (value.length === 0) this.error(path, 'must not be empty');
    return value;
  }

  private elements(value: unknown, path: string): void {
    for (const [i, el] of this.list(value, path).entries()) this.element(el, `${path}[${i}]`);
  }

  private element(el: unknown, path: string): void {
    if (!isObject(el) || typeof el.type !== 'string') {
      this.error(path, 'is not an element');
      return;
    }
    this.keys(el, el.type, path);
    switch (el.type) {
      case 'TextBlock':
        this.text(el.text, `${path}.text`);
        break;
      case 'RichTextBlock':
        for (const [i, inline] of this.list(el.inlines, `${path}.inlines`).entries()) {
          const p = `${path}.inlines[${i}]`;
          if (typeof inline === 'string') this.text(inline, p);
          else if (isObject(inline) && inline.type === 'TextRun') {
            this.keys(inline, 'TextRun', p);
            this.text(inline.text, `${p}.text`);
            if (inline.selectAction !== undefined) this.action(inline.selectAction, `${p}.selectAction`);
          } else this.error(p, 'is not a TextRun');
        }
        break;
      case 'Container':
        this.elements(el.items, `${path}.items`);
        break;
      case 'ColumnSet':
        for (const [i, col] of this.list(el.columns, `${path}.columns`).entries()) {
          const p = `${path}.columns[${i}]`;
          if (!isObject(col) || (col.type !== undefined && col.type !== 'Column')) {
            this.error(p, 'is not a Column');
            continue;
          }
          this.keys(col, 'Column', p);
          this.elements(col.items, `${p}.items`);
          if (col.selectAction !== undefined) this.action(col.selectAction, `${p}.selectAction`);
        }
        break;
      case 'FactSet':
        for (const [i, fact] of this.list(el.facts, `${path}.facts`).entries()) {
          const p = `${path}.facts[${i}]`;
          if (!isObject(fact)) {
            this.error(p, 'is not a Fact');
            continue;
          }
          this.keys(fact, 'Fact', p);
          this.text(fact.title, `${p}.title`);
          this.text(fact.value, `${p}.value`);
        }
        break;
      case 'ActionSet':
        this.actions(el.actions, `${path}.actions`);
        break;
    }
    if (el.selectAction !== undefined) this.action(el.selectAction, `${path}.selectAction`);
  }

  private text(value: unknown, path: string): void {
    if (typeof value !== 'string') this.error(path, `must be a string, is ${JSON.stringify(value)}`);
    else if (!value.trim()) this.error(path, 'is empty');
  }

  private actions(value: unknown, path: string): void {
    for (const [i, a] of this.list(value, path).entries()) this.action(a, `${path}[${i}]`);
  }

  private action(a: unknown, path: string): void {
    if (!isObject(a)) {
      this.error(path, 'is not an action');
      return;
    }
    if (a.type !== 'Action.Execute') {
      this.error(path, `is ${JSON.stringify(a.type)}; every action must be an Action.Execute`);
      return;
    }
    this.keys(a, 'Action.Execute', path);
    this.text(a.title, `${path}.title`);
    if (typeof a.verb !== 'string' || !VERBS.has(a.verb))
      this.error(`${path}.verb`, `${JSON.stringify(a.verb)} is not a verb in src/core/actions/verbs.ts`);
    const data = a.data === undefined ? {} : a.data;
    if (!isObject(data)) this.error(`${path}.data`, 'must be an object');
    if ('verb' in (isObject(data) ? data : {}))
      this.error(`${path}.data`, 'must not carry the verb (the fallback does)');
    const fb = a.fallback;
    if (!isObject(fb)) {
      this.error(`${path}.fallback`, 'must be an Action.Submit object');
      return;
    }
    if (fb.type !== 'Action.Submit') this.error(`${path}.fallback`, `is ${JSON.stringify(fb.type)}, not Action.Submit`);
    this.keys(fb, 'Action.Submit', `${path}.fallback`);
    if (fb.title !== a.title)
      this.error(
        `${path}.fallback.title`,
        `${JSON.stringify(fb.title)} differs from the action's ${JSON.stringify(a.title)}`,
      );
    if (!isObject(fb.data)) {
      this.error(`${path}.fallback.data`, 'must be an object');
      return;
    }
    if (fb.data.verb !== a.verb)
      this.error(
        `${path}.fallback.data.verb`,
        `${JSON.stringify(fb.data.verb)} differs from the verb ${JSON.stringify(a.verb)}`,
      );
    const { verb: _verb, ...rest } = fb.data;
    if (isObject(data) && !isDeepStrictEqual(rest, data))
      this.error(
        `${path}.fallback.data`,
        `${JSON.stringify(rest)} differs from the action's data ${JSON.stringify(data)}`,
      );
  }
}

/** Every action of a card (card actions, ActionSets, select actions), in document order. */
export function cardActions(card: unknown): Json[] {
  const found: Json[] = [];
  forEachAction(card, (a) => found.push(a));
  return found;
}

/** Every string in a card with its JSON path, action data included. */
export function cardStrings(
  node: unknown,
  path = '$',
  out: { path: string; value: string }[] = [],
): { path: string; value: string }[] {
  if (typeof node === 'string') out.push({ path, value: node });
  else if (Array.isArray(node)) for (const [i, n] of node.entries()) cardStrings(n, `${path}[${i}]`, out);
  else if (isObject(node)) for (const [k, v] of Object.entries(node)) cardStrings(v, `${path}.${k}`, out);
  return out;
}
