/**
 * The core without a channel, for unit tests of one command or one card action: the real runtime
 * service in-process (local provider, demo runtimes, FakeClock), a real RuntimeClient to it, and the
 * core's own parts on MemoryStorage — policy, approvals, audit, subscriptions. A test calls a
 * handler's `run` directly and reads the view model it returns; no dispatcher, no Teams.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RuntimeClient } from '../../src/client/runtimeClient';
import { RETIREMENT_DEFAULTS } from '../../src/config';
import type { CardAction } from '../../src/core/actions/types';
import { ApprovalService } from '../../src/core/approvals/service';
import { Sealer } from '../../src/core/approvals/sealer';
import { AuditLog, type AuditEntry } from '../../src/core/audit/auditLog';
import { parseCommand } from '../../src/core/commands/parse';
import { COMMANDS } from '../../src/core/commands/registry';
import type { Command, CommandDeps } from '../../src/core/commands/types';
import { SubscriptionStore } from '../../src/core/notifications/subscriptions';
import { PeopleDirectory } from '../../src/core/people';
import { policyPermissions } from '../../src/core/permissions';
import { PolicyStore } from '../../src/core/policy/policyStore';
import type { Reply } from '../../src/core/replies';
import type { ChatAttachment, ChatConversation, ChatUser } from '../../src/core/request';
import { type MessageUpdater, OperationTracker } from '../../src/core/tracking/tracker';
import type { OperationRecord } from '../../src/service/model';
import { AppError } from '../../src/errors';
import { createLogger } from '../../src/logger';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import { ACTORS, startTestService, type TestService } from './service';
import type { Text } from '../../src/core/text';
import { markup } from './textMarkup';

/** The demo workspace's people as the chat knows them (Entra object ids), plus a viewer. */
export const USERS = {
  /** dataScientist in POLICY; owns chat-dev, rag-eval and ci-alex-runtime. */
  alex: { id: ACTORS.alex.objectId, name: ACTORS.alex.name },
  /** owner in POLICY: approves, grants roles; owns prod-chat. */
  megan: { id: ACTORS.megan.objectId, name: ACTORS.megan.name },
  /** dataScientist in POLICY. */
  adele: { id: ACTORS.adele.objectId, name: ACTORS.adele.name },
  /** In no role: the policy's default viewer. */
  isaiah: { id: '00000000-0000-0000-0000-0000000000023', name: 'Isaiah Langer' },
} as const satisfies Record<string, ChatUser>;
export type User = keyof typeof USERS;

/**
 * The Playground's demo policy (playground/policy.yaml): `reset chat-*` and changes to `prod-*` wait
 * for one owner (Megan), everything else runs at once; people in no role are viewers.
 */
export const POLICY = readFileSync(path.join(__dirname, '../../playground/policy.yaml'), 'utf8');

/** A channel conversation whose address the edge stored (so it can be subscribed). */
export const CHANNEL: ChatConversation = {
  id: '19:general@thread.tacv2',
  type: 'channel',
  key: 'conv-general',
};
/** A one-to-one chat without a stored address. */
export const PERSONAL: ChatConversation = { id: 'a:personal-alex', type: 'personal' };

export interface CoreOptions {
  /** Policy YAML; undefined runs without a policy (everyone may change anything at once). */
  policy?: string;
}

export interface RunOptions {
  who?: User;
  where?: ChatConversation;
  attachments?: ChatAttachment[];
}

export interface Core {
  service: TestService;
  deps: CommandDeps;
  audit: AuditLog;
  approvals: ApprovalService;
  subscriptions: SubscriptionStore;
  /** Runs one command's handler on the text typed (its verb included), as `who` in `where`. */
  command(command: Command, text: string, options?: RunOptions): Promise<Reply[]>;
  /** Runs one card action's handler with the clicked data, as `who` in `where`. */
  click(action: CardAction, data: Record<string, unknown>, options?: RunOptions): Promise<Reply>;
  /** The service's operations on one runtime (of one kind), oldest first. */
  operations(runtimeName: string, kind?: string): Promise<OperationRecord[]>;
  /** The audit trail, oldest first. */
  auditEntries(): Promise<AuditEntry[]>;
  close(): Promise<void>;
}

export async function startCore(options: CoreOptions = {}): Promise<Core> {
  const service = await startTestService({ demoData: true });
  const clock = service.clock;
  const storage = new MemoryStorage();
  const log = createLogger('silent');
  const dir = options.policy === undefined ? undefined : mkdtempSync(path.join(os.tmpdir(), 'core-policy-'));
  const policyFile = dir && path.join(dir, 'policy.yaml');
  if (policyFile) writeFileSync(policyFile, options.policy!);
  const client = new RuntimeClient({ baseUrl: service.url, attempts: 1 });
  const policy = new PolicyStore({ ...(policyFile ? { file: policyFile } : {}), storage, clock, log });
  await policy.load();
  const audit = new AuditLog(storage, clock);
  // Message updates belong to the channel; these tests read the replies, not the updates.
  const updater: MessageUpdater = { update: async () => {} };
  const tracker = new OperationTracker(storage, client, updater, clock, log);
  const approvals = new ApprovalService({
    storage,
    client,
    policy,
    audit,
    clock,
    log,
    sealer: Sealer.random(),
    updater,
    tracker,
    people: new PeopleDirectory(storage, 'test'),
  });
  const subscriptions = new SubscriptionStore(storage, clock);
  const deps: CommandDeps = {
    client,
    log,
    clock,
    permissions: policyPermissions(policy),
    changes: approvals,
    approvals,
    policy,
    audit,
    subscriptions,
    retirement: RETIREMENT_DEFAULTS,
    readAttachment: async (a) => a.content ?? '',
  };
  const userOf = (who: User = 'alex'): ChatUser => USERS[who];
  const actorOf = (user: ChatUser) => ({ objectId: user.id, ...(user.name ? { name: user.name } : {}) });

  return {
    service,
    deps,
    audit,
    approvals,
    subscriptions,
    async command(command, text, o = {}) {
      const parsed = parseCommand(text);
      if (!parsed.ok) throw new Error(`the test's text does not parse: ${parsed.error}`);
      const user = userOf(o.who);
      const result = await command.run({
        request: {
          user,
          conversation: o.where ?? CHANNEL,
          text,
          attachments: o.attachments ?? [],
          correlationId: randomUUID(),
          receivedAt: clock.now(),
        },
        args: parsed.command,
        actor: actorOf(user),
        deps,
        idempotencyKey: randomUUID(),
        commands: COMMANDS,
      });
      return Array.isArray(result) ? result : [result];
    },
    async click(action, data, o = {}) {
      const user = userOf(o.who);
      return action.run({
        request: {
          user,
          conversation: o.where ?? CHANNEL,
          verb: action.verb,
          data,
          messageId: 'message-1',
          correlationId: randomUUID(),
          receivedAt: clock.now(),
        },
        deps,
        actor: actorOf(user),
        idempotencyKey: randomUUID(),
      });
    },
    async operations(runtimeName, kind) {
      return (await service.app.engine.operations.all())
        .filter((op) => op.runtimeName === runtimeName && (!kind || op.kind === kind))
        .sort((a, b) => a.createdOn.localeCompare(b.createdOn));
    },
    async auditEntries() {
      const entries: AuditEntry[] = [];
      for await (const line of audit.export()) entries.push(JSON.parse(line));
      return entries;
    },
    async close() {
      policy.stop();
      await service.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The only reply of a handler that answers with one. */
export function only(replies: Reply[]): Reply {
  if (replies.length !== 1) throw new Error(`expected one reply, got ${replies.length}`);
  return replies[0];
}

/** A reply narrowed to its kind, or a failure that names the kind it was. */
export function as<K extends Reply['kind']>(reply: Reply, kind: K): Extract<Reply, { kind: K }> {
  if (reply.kind !== kind) throw new Error(`expected a ${kind} reply, got ${reply.kind}: ${JSON.stringify(reply)}`);
  return reply as Extract<Reply, { kind: K }>;
}

/** A reply's words, code in backquotes and emphasis in double stars (test/helpers/textMarkup.ts). */
export function textOf(reply: Reply): string {
  return markup((reply as { text: Text }).text);
}

/** The coded error a handler refused with (it must refuse: a reply fails the test). */
export async function refusal(work: Promise<unknown>): Promise<{ code: string; message: string }> {
  let result: unknown;
  try {
    result = await work;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { code: error.code, message: error.message };
  }
  throw new Error(`expected a refusal, got ${JSON.stringify(result)}`);
}
