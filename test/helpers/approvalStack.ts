/**
 * The loopback stack with an approval policy: a temp policy file (the Playground's demo policy, or
 * one built for the test), people beyond PEOPLE (Isaiah the viewer, extra owners), clicks on the
 * approval card as anyone, and the checks every approval test repeats.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApprovalRecord } from '../../src/core/approvals/model';
import type { AuditEntry } from '../../src/core/audit/auditLog';
import type { OperationRecord } from '../../src/service/model';
import { visibleText } from '../channels/teams/support';
import { messageActivity, PEOPLE, postActivity, type Where, type Who } from './activities';
import { cardActions, validateCard } from './cardValidation';
import type { RecordedCall } from './connector';
import { type Stack, startStack } from './stack';

const ROOT = path.resolve(__dirname, '../..');
export const DEMO_POLICY = path.join(ROOT, 'playground/policy.yaml');

export interface Person {
  id: string;
  name: string;
  aadObjectId: string;
}

/** Not in the demo policy, so the defaultRole viewer: may read, may not request or decide. */
export const ISAIAH: Person = {
  id: 'user-id-3',
  name: 'Isaiah Langer',
  aadObjectId: '00000000-0000-0000-0000-0000000000023',
};

/** The n-th extra person (1 to 99), for policies with many approvers. */
export function extraPerson(n: number): Person {
  const two = String(n).padStart(2, '0');
  return { id: `user-id-x${two}`, name: `Owner ${two}`, aadObjectId: `00000000-0000-0000-0000-00000000001${two}` };
}

export const CHANNEL: Where = { kind: 'channel' };
export const CHANNEL_ID = '19:general@thread.tacv2';
export const ADAPTIVE = 'application/vnd.microsoft.card.adaptive';
export const MESSAGE = 'application/vnd.microsoft.activity.message';

export type Anyone = Who | Person;
const personOf = (who: Anyone): Person => (typeof who === 'string' ? PEOPLE[who] : who);
export const objectId = (who: Anyone): string => personOf(who).aadObjectId;

export interface PolicyOptions {
  owners?: Anyone[];
  dataScientists?: Anyone[];
  /** Approvals that `reset chat-*` needs (the demo policy: 1). */
  approvals?: number;
  expiresAfter?: string;
  defaultRole?: 'viewer' | 'none';
}

/** A policy shaped like the demo one (chat-* reset and prod-* changes need owners), with the people and quorum given. */
export function policyYaml(options: PolicyOptions = {}): string {
  const list = (people: Anyone[]) =>
    people.length
      ? people.map((p) => `    - id: ${objectId(p)}\n      name: ${personOf(p).name}`).join('\n')
      : '    []';
  return [
    'roles:',
    '  owner:',
    list(options.owners ?? ['megan']),
    '  dataScientist:',
    list(options.dataScientists ?? ['alex', 'adele']),
    '  viewer: []',
    ...(options.defaultRole === 'none' ? [] : ['defaultRole: viewer']),
    'rules:',
    '  - operations: [reset]',
    '    runtimes: [chat-*]',
    `    approvals: ${options.approvals ?? 1}`,
    '    approverRole: owner',
    `    expiresAfter: ${options.expiresAfter ?? '1h'}`,
    '  - operations: [reset, stop, upgrade, update, install]',
    '    runtimes: [prod-*]',
    `    approvals: ${options.approvals ?? 1}`,
    '    approverRole: owner',
    '    expiresAfter: 4h',
    '  - operations: [create]',
    '    runtimes: [prod-*]',
    '    approvals: 1',
    "  - operations: '*'",
    "    runtimes: '*'",
    '    approvals: 0',
    '',
  ].join('\n');
}

export interface InvokeAnswer {
  status: number;
  type?: string;
  value?: unknown;
  /** What the user reads: the card's text, or the message. */
  text: string;
}

export interface ApprovalStack {
  stack: Stack;
  policyFile: string;
  /** Sends a message as anyone: what the replies show, their markdown as sent, ids and Adaptive Cards. */
  say(
    text: string,
    who?: Anyone,
    where?: Where,
    options?: { id?: string },
  ): Promise<{ status: number; replies: string[]; markdown: string[]; ids: string[]; cards: unknown[] }>;
  /** Clicks an Action.Execute on the message `replyToId`; `id` repeats a delivery. */
  click(
    verb: string,
    data: Record<string, unknown>,
    who: Anyone,
    replyToId: string,
    options?: { id?: string; where?: Where },
  ): Promise<InvokeAnswer>;
  /** Asks for a change in the channel and returns the request id and the message of its card. */
  request(text?: string, who?: Anyone): Promise<{ id: string; messageId: string; card: unknown }>;
  record(id: string): Promise<ApprovalRecord>;
  operations(runtimeName: string, kind?: string): Promise<OperationRecord[]>;
  audit(): Promise<AuditEntry[]>;
  /** Writes the policy file and reloads it now (the watcher would, within a second). */
  writePolicy(text: string): ReturnType<Stack['bot']['policy']['reload']>;
  close(): Promise<void>;
}

/** Starts the stack with the demo policy copied to a temp dir, or with the policy text given. */
export async function startApprovalStack(
  policy?: string,
  options: Pick<Parameters<typeof startStack>[0] & object, 'via'> = {},
): Promise<ApprovalStack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'approvals-'));
  const policyFile = path.join(dir, 'policy.yaml');
  if (policy === undefined) copyFileSync(DEMO_POLICY, policyFile);
  else writeFileSync(policyFile, policy);
  const stack = await startStack({ bot: { policyFile }, ...options });

  const activityOf = (text: string, who: Anyone, where: Where) => {
    const person = personOf(who);
    const key = person.id.replace(/[^a-z0-9-]/gi, '');
    const place = where.kind === 'personal' && !where.conversationId ? { ...where, conversationId: `a:${key}` } : where;
    return messageActivity(stack.connector.url, text, 'alex', place, { from: person });
  };

  const self: ApprovalStack = {
    stack,
    policyFile,
    async say(text, who = 'alex', where = CHANNEL, options = {}) {
      const before = stack.connector.calls.length;
      const activity = { ...activityOf(text, who, where), ...(options.id ? { id: options.id } : {}) };
      const { status } = await postActivity(stack.botUrl, activity);
      const fresh = stack.connector.calls.slice(before).filter((c) => c.method === 'POST');
      return {
        status,
        replies: fresh.map((c) => visibleText(c.activity)),
        markdown: fresh.map((c) => c.activity.text ?? ''),
        ids: fresh.map((c) => c.id),
        cards: fresh.flatMap(cardsOf),
      };
    },
    async click(verb, data, who, replyToId, options = {}) {
      const activity = {
        ...activityOf('', who, options.where ?? CHANNEL),
        ...(options.id ? { id: options.id } : {}),
        type: 'invoke',
        name: 'adaptiveCard/action',
        text: undefined,
        replyToId,
        value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
      };
      const { status, body } = await postActivity(stack.botUrl, activity);
      const parsed = body ? JSON.parse(body) : {};
      const text =
        parsed.type === ADAPTIVE
          ? visibleText({ type: 'message', attachments: [{ contentType: ADAPTIVE, content: parsed.value }] })
          : String(parsed.value ?? '');
      return { status, type: parsed.type, value: parsed.value, text };
    },
    async request(text = 'reset chat-dev', who = 'alex') {
      const before = (await stack.bot.approvals.requests.ids()).length;
      const answer = await self.say(text, who, CHANNEL);
      const ids = await stack.bot.approvals.requests.ids();
      if (ids.length !== before + 1)
        throw new Error(`no approval request for "${text}": ${answer.replies.join(' | ')}`);
      const records = await stack.bot.approvals.requests.getMany(ids);
      const newest = records.sort((a, b) => a.createdOn.localeCompare(b.createdOn)).at(-1)!;
      const mine = records.find((r) => r.messageId === answer.ids[0]) ?? newest;
      return { id: mine.id, messageId: answer.ids[0], card: answer.cards[0] };
    },
    async record(id) {
      const found = await stack.bot.approvals.requests.get(id);
      if (!found) throw new Error(`no approval request ${id}`);
      const { eTag: _eTag, ...record } = found;
      return record;
    },
    async operations(runtimeName, kind) {
      return (await stack.service.engine.operations.all()).filter(
        (op) => op.runtimeName === runtimeName && (!kind || op.kind === kind),
      );
    },
    async audit() {
      const entries: AuditEntry[] = [];
      for await (const line of stack.bot.audit.export()) entries.push(JSON.parse(line));
      return entries;
    },
    async writePolicy(text) {
      writeFileSync(policyFile, text);
      return stack.bot.policy.reload();
    },
    async close() {
      await stack.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}

/** The demo policy's text, for tests that edit it. */
export function demoPolicy(): string {
  return readFileSync(DEMO_POLICY, 'utf8');
}

export function cardsOf(call: RecordedCall): unknown[] {
  return (call.activity.attachments ?? []).filter((a) => a.contentType === ADAPTIVE).map((a) => a.content);
}

type Json = Record<string, any>;

/**
 * validateCard, plus the approval card's @mentions: validateCard accepts `msteams` only as
 * `{ width: 'Full' }`, so the entities are checked here (each a mention whose text a TextBlock
 * shows, as Teams requires) and the rest of the card goes through validateCard.
 */
export function validateApprovalCard(card: unknown): string[] {
  const c = card as Json;
  const entities: Json[] = c?.msteams?.entities ?? [];
  const errors: string[] = [];
  const texts = textBlocks(c?.body);
  for (const [i, e] of entities.entries()) {
    if (e.type !== 'mention') errors.push(`msteams.entities[${i}] is a ${e.type}, not a mention`);
    if (!/^<at>[^<]+<\/at>$/.test(e.text ?? '')) errors.push(`msteams.entities[${i}].text is ${e.text}`);
    if (!e.mentioned?.id || !e.mentioned?.name) errors.push(`msteams.entities[${i}] has no mentioned id and name`);
    if (!texts.some((t) => t.includes(e.text))) errors.push(`no TextBlock shows the mention ${e.text}`);
  }
  const rest = c?.msteams ? { ...c, msteams: { width: c.msteams.width } } : card;
  return [...errors, ...validateCard(rest)];
}

function textBlocks(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) textBlocks(n, out);
  else if (node && typeof node === 'object') {
    const n = node as Json;
    if (n.type === 'TextBlock' && typeof n.text === 'string') out.push(n.text);
    for (const v of Object.values(n)) if (v && typeof v === 'object') textBlocks(v, out);
  }
  return out;
}

/** The verbs of a card's buttons, without the refresh and "Show my options". */
export function buttonVerbs(card: unknown): string[] {
  return cardActions(card)
    .map((a) => String(a.verb))
    .filter((v) => v !== 'approval.view');
}

/** The mention entities of a card. */
export function mentionsOf(card: unknown): { text: string; mentioned: { id: string; name: string } }[] {
  return (card as Json)?.msteams?.entities ?? [];
}

/** Every card the connector was sent (replies and updates). */
export function connectorCards(stack: Stack): unknown[] {
  return stack.connector.calls.flatMap(cardsOf);
}
