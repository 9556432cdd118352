/**
 * Replicas that share only the storage account (issue 14, item 5): two runtime-service processes and
 * two bot processes, each bot calling its own service, every one with its own data folder, all on
 * one Azurite account (test/helpers/replicas.ts). Started once for the file; the tests run in order
 * and the last one kills a service replica.
 *
 * Every guarantee is checked from outside, as an operator would see it: HTTP answers, what the
 * loopback Bot Connector received, what the loopback registry was asked, and the records in the
 * shared storage account.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConversationStore } from '../../src/channels/teams/conversations';
import { Verb } from '../../src/core/actions/verbs';
import type { ApprovalRecord } from '../../src/core/approvals/model';
import { AuditLog, type AuditEntry } from '../../src/core/audit/auditLog';
import { Outbox } from '../../src/core/notifications/outbox';
import { SubscriptionStore } from '../../src/core/notifications/subscriptions';
import { systemClock } from '../../src/clock';
import type { OperationRecord } from '../../src/service/model';
import { Collection } from '../../src/storage/collection';
import type { Storage } from '../../src/storage/storage';
import { messageActivity, PEOPLE, postActivity, type Where } from '../helpers/activities';
import { extraPerson, type Person, policyYaml } from '../helpers/approvalStack';
import { cardActions } from '../helpers/cardValidation';
import { startOciTestRegistry } from '../helpers/ociRegistry';
import { BOT_MAIN, type ChildRun, type ReplicaProcess, type ReplicaSet, startReplicas } from '../helpers/replicas';
import { ACTORS, automatic, sendRequest, type TestResponse } from '../helpers/service';
import { ThrottledConnector } from '../helpers/throttledConnector';

const POLL_SECONDS = 5;
const LEASE_SECONDS = 3;
/** The bots' shared budget of proactive sends per second, under what the connector allows. */
const BOT_SENDS_PER_SECOND = 40;
const CONNECTOR_SENDS_PER_SECOND = 50;
const CHANNEL: Where = { kind: 'channel' };
/** Versions the emulator's package index has (catalogue/local-workspace.json). */
const PANDAS = ['1.5.3', '2.1.4', '2.2.3'];
const OWNERS: Person[] = Array.from({ length: 40 }, (_, i) => extraPerson(i + 1));

let set: ReplicaSet;
let registry: Awaited<ReturnType<typeof startOciTestRegistry>>;
let connector: ThrottledConnector;
let policyDir: string;
let serviceStorage: Storage;
let botStorage: Storage;
/** A bot replica started with STORAGE=blob and no SECRETS_KEY. */
let refused: ChildRun;

beforeAll(async () => {
  registry = await startOciTestRegistry();
  // Tags the catalogue has already: the watcher's first poll takes them in silently, and no later
  // poll finds anything new to announce (an announcement would be one more card per subscriber).
  registry.tags = ['20240111.v2', '20240116.v1'];
  connector = new ThrottledConnector({ globalPerSecond: CONNECTOR_SENDS_PER_SECOND });
  await connector.start();
  policyDir = mkdtempSync(path.join(os.tmpdir(), 'replicas-policy-'));
  const policyFile = path.join(policyDir, 'policy.yaml');
  writeFileSync(policyFile, policyYaml({ owners: OWNERS, dataScientists: ['alex'] }));
  set = await startReplicas({
    service: {
      DEMO_DATA: 'false',
      LOCAL_DURATION_SCALE: '0.05',
      OPERATION_LEASE_SECONDS: String(LEASE_SECONDS),
      IMAGE_REGISTRY_URL: registry.url,
      IMAGE_REGISTRY_REPOSITORY: registry.repository,
      IMAGE_REGISTRY_POLL_SECONDS: String(POLL_SECONDS),
    },
    bot: {
      POLICY_FILE: policyFile,
      SEND_RATE_GLOBAL_PER_SECOND: String(BOT_SENDS_PER_SECOND),
      DIGEST_TIME: 'off',
      // No retirement notice may fall due during the run: it goes to every subscribed conversation.
      PROMPTFLOW_RETIREMENT_DATE: '2099-12-31',
    },
  });
  refused = set.run(BOT_MAIN, { PLAYGROUND: 'false', PORT: '0' });
  serviceStorage = await set.storage('service');
  botStorage = await set.storage('bot');
}, 120_000);

afterAll(async () => {
  await set?.stop();
  await connector?.stop();
  await registry?.close();
  if (policyDir) rmSync(policyDir, { recursive: true, force: true });
});

/** A change or a read sent to one service replica, as the bot sends it (token, acting user). */
function call(
  service: ReplicaProcess,
  method: string,
  p: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<TestResponse> {
  return sendRequest(service.url, method, p, {
    token: set.token,
    actor: ACTORS.alex,
    headers,
    ...(body === undefined ? {} : { body }),
  });
}

/** The i-th of the service replicas still running, so that load spreads evenly. */
function serviceFor(i: number): ReplicaProcess {
  const running = set.services.filter((s) => !killed.has(s));
  return running[i % running.length];
}
const killed = new Set<ReplicaProcess>();

function expectNo5xx(responses: TestResponse[]): void {
  const failed = responses.filter((r) => r.status >= 500);
  expect(failed.map((r) => `${r.status} ${r.text.slice(0, 300)}`)).toEqual([]);
}

/** Polls each operation through either replica until it has ended; returns the final records. */
async function untilEnded(ids: string[], timeoutMs = 45_000): Promise<Map<string, { status: string }>> {
  const ended = new Map<string, { status: string }>();
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; ended.size < ids.length; round++) {
    const open = ids.filter((id) => !ended.has(id));
    for (let i = 0; i < open.length; i += 25) {
      const answers = await Promise.all(
        open.slice(i, i + 25).map((id, j) => call(serviceFor(round + j), 'GET', `/v1/operations/${id}`)),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        if (answer.json.status === 'Succeeded' || answer.json.status === 'Failed')
          ended.set(answer.json.id, answer.json);
      }
    }
    if (ended.size === ids.length) break;
    if (Date.now() > deadline) throw new Error(`${ids.length - ended.size} operations did not end: ${open.join(', ')}`);
    // Not too often: every poll is a storage read, and Azurite serves every replica.
    await new Promise((r) => setTimeout(r, 1000));
  }
  return ended;
}

/** Every operation the service replicas stored, read from the shared account. */
async function storedOperations(): Promise<OperationRecord[]> {
  return new Collection<OperationRecord>(serviceStorage, 'operations').all();
}

describe('replicas that share only a storage account', () => {
  it('should refuse to start a bot on blob storage without SECRETS_KEY, and say why', async () => {
    const { exited, output } = refused;
    const exit = await exited;
    expect(exit).toEqual({ code: 1, signal: null });
    expect(output()).toContain('SECRETS_KEY is required with STORAGE=blob');
    expect(output()).toContain('none could open the approval requests another one sealed');
    expect(output()).not.toMatch(/AccountKey|at .+\.ts:\d+/);
  });

  it('should answer 100 concurrent creates spread over both services without a 5xx, and end every operation', async () => {
    const creates = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        call(serviceFor(i), 'PUT', `/v1/runtimes/load-${i}`, automatic(), { 'Idempotency-Key': `create-${i}` }),
      ),
    );
    expectNo5xx(creates);
    // Distinct names: nothing to refuse.
    expect(creates.map((r) => r.status)).toEqual(creates.map(() => 202));
    const created = await untilEnded(creates.map((r) => r.json.id));
    expect([...created.values()].map((op) => op.status)).toEqual(creates.map(() => 'Succeeded'));
    // Reads come from each replica's read model, which follows the other replica's writes within about a second.
    await vi.waitFor(
      async () => {
        const listed = await call(serviceFor(1), 'GET', '/v1/runtimes?pageSize=500');
        expect(listed.json.value.filter((r: { name: string }) => r.name.startsWith('load-'))).toHaveLength(100);
      },
      { timeout: 10_000, interval: 200 },
    );
  }, 120_000);

  it('should answer 100 concurrent mixed changes spread over both services without a 5xx, and end every operation', async () => {
    await mixedChanges();
  }, 120_000);

  it('should execute an approved change once when 40 approvers click Approve on both bots at once', async () => {
    const created = await call(serviceFor(0), 'PUT', '/v1/runtimes/chat-replicas', automatic());
    expect(created.status).toBe(202);
    await untilEnded([created.json.id]);

    const before = connector.calls.length;
    const asked = await postActivity(
      set.bots[0].url,
      messageActivity(connector.url, 'reset chat-replicas', 'alex', CHANNEL),
    );
    expect(asked.status).toBe(200);
    const card = connector.calls
      .slice(before)
      .flatMap((c) => (c.activity.attachments ?? []).map((a) => ({ id: c.id, content: a.content })))
      .find((a) => cardActions(a.content).some((action) => action.verb === Verb.Approve));
    expect(card, 'the approval card').toBeDefined();
    const approve = cardActions(card!.content).find((a) => a.verb === Verb.Approve)!;
    const approvalId = String((approve.data as { approvalId: string }).approvalId);

    const clicks = await Promise.all(
      OWNERS.map((owner, i) =>
        postActivity(set.bots[i % set.bots.length].url, approveClick(owner, approvalId, card!.id)),
      ),
    );
    expect(clicks.map((c) => c.status)).toEqual(OWNERS.map(() => 200));

    const resets = (await storedOperations()).filter((op) => op.runtimeName === 'chat-replicas' && op.kind === 'reset');
    expect(resets).toHaveLength(1);
    expect(resets[0].idempotencyKey).toBe(`approval-${approvalId}`);
    const executions = (await auditEntries()).filter((e) => e.action === 'execute' && e.approvalId === approvalId);
    expect(executions.map((e) => e.operationId)).toEqual([resets[0].id]);
    const request = await new Collection<ApprovalRecord>(botStorage, 'approvals').get(approvalId);
    expect(request).toMatchObject({ operationId: resets[0].id, votes: [expect.anything()] });
    expect((await untilEnded([resets[0].id])).get(resets[0].id)?.status).toBe('Succeeded');
  }, 60_000);

  it('should send one version notice to each of 200 subscribed conversations, drained by both bots within the rate limits', async () => {
    const conversations = Array.from({ length: 200 }, (_, i) => `19:replica-conv-${i}@thread.tacv2`);
    await subscribe(conversations);

    const published = await call(serviceFor(1), 'POST', '/v1/versions', {
      tag: '20991231.v1',
      notes: 'For replicas',
    });
    expect(published.status).toBe(201);

    const outbox = new Outbox(botStorage, systemClock);
    const cards = () => conversations.flatMap((id) => connector.accepted(id));
    await vi.waitFor(
      async () => {
        if (cards().length < conversations.length || (await outbox.pending()) > 0)
          throw new Error(`${cards().length} of ${conversations.length} cards after 90 s`);
      },
      { interval: 250, timeout: 90_000 },
    );
    for (const id of conversations) expect(connector.accepted(id), id).toHaveLength(1);
    // Both bots together kept within the one budget: the connector never had to refuse a send.
    expect(conversations.flatMap((id) => connector.rejected(id))).toEqual([]);
    expect(await outbox.deadLetters.ids()).toEqual([]);
  }, 90_000);

  it('should poll the image registry once per interval across the service replicas', () => {
    const times = registry.times;
    expect(registry.requests.every((r) => r.startsWith(`/v2/${registry.repository}/tags/list`))).toBe(true);
    const span = times.at(-1)! - times[0];
    // Once per interval means at most one poll more than the intervals that fit in the span; two
    // replicas polling on their own would make about twice as many.
    expect(times.length).toBeLessThanOrEqual(Math.floor(span / (POLL_SECONDS * 1000)) + 1);
    // And it did poll on schedule: at least one poll per two intervals (a check every interval).
    expect(times.length).toBeGreaterThanOrEqual(Math.floor(span / (2 * POLL_SECONDS * 1000)) + 1);
    expect(span).toBeGreaterThanOrEqual(2 * POLL_SECONDS * 1000);
  });

  it('should finish an operation on the other service when the replica holding its lease is killed', async () => {
    const [victim, survivor] = set.services;
    // Cut the victim's path to storage right after it has taken the lease of the new operation.
    const leaseTaken = victim.gate!.cutAfter(
      (r) =>
        r.method === 'PUT' &&
        r.path.includes('/service/operations/') &&
        r.body.includes('"runtimeName":"takeover"') &&
        r.body.includes('"lease":{"owner"'),
    );
    const key = randomUUID();
    const abandoned = call(victim, 'PUT', '/v1/runtimes/takeover', automatic(), { 'Idempotency-Key': key }).catch(
      (error: Error) => error,
    );
    const landed = await leaseTaken;
    const operationId = landed.path.split('/').at(-1)!.split('?')[0];
    const held = await new Collection<OperationRecord>(serviceStorage, 'operations').get(operationId);
    expect(held?.lease?.owner).toBe(victim.worker);
    expect(held?.status).toBe('NotStarted');

    victim.kill('SIGKILL');
    killed.add(victim);
    expect(await victim.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await abandoned).toBeInstanceOf(Error); // the client never got an answer

    // The client sends its request again, to the replica that is left: the same operation.
    const retried = await call(survivor, 'PUT', '/v1/runtimes/takeover', automatic(), { 'Idempotency-Key': key });
    expect([retried.status, retried.json.id]).toEqual([202, operationId]);
    expect((await untilEnded([operationId], 30_000)).get(operationId)?.status).toBe('Succeeded');
    const runtime = await call(survivor, 'GET', '/v1/runtimes/takeover');
    expect(runtime.json.status).toBe('Running');
    const finished = await call(survivor, 'GET', `/v1/operations/${operationId}`);
    expect(finished.json.steps.map((s: { status: string }) => s.status)).toEqual([
      'NotStarted',
      'Running',
      'Succeeded',
    ]);
  }, 60_000);
});

/**
 * 100 changes at once on the runtimes the creates made: installs, edits, resets and stops, two at
 * once on some runtimes, creates of new ones, and ten repeats of a request with its key.
 */
async function mixedChanges(): Promise<void> {
  // Request i and i + 60 change the same runtime (the same kind of change, as two people would):
  // 32 such pairs, 16 lone changes, and 20 creates of new runtimes.
  const change = (i: number): [string, string, unknown] => {
    const name = `load-${i % 60}`;
    switch (i % 5) {
      case 0:
        return ['POST', `/v1/runtimes/${name}/install`, { requirements: `numpy==1.26.4\npandas==${PANDAS[i % 3]}` }];
      case 1:
        return ['PATCH', `/v1/runtimes/${name}`, { idleTimeMinutes: 30 + i }];
      case 2:
        return ['POST', `/v1/runtimes/${name}/reset`, {}];
      case 3:
        return ['PUT', `/v1/runtimes/mixed-${i}`, automatic()];
      default:
        return ['POST', `/v1/runtimes/${name}/stop`, {}];
    }
  };
  const keys = Array.from({ length: 100 }, () => randomUUID());
  const changes = Array.from({ length: 100 }, (_, i) => {
    const [method, p, body] = change(i);
    return call(serviceFor(i), method, p, body, { 'Idempotency-Key': keys[i] });
  });
  // And ten of them sent to the other replica at the same time with the same key, as a client
  // that retries after losing the answer would.
  const repeats = Array.from({ length: 10 }, (_, i) => {
    const [method, p, body] = change(i * 10);
    return call(serviceFor(i * 10 + 1), method, p, body, { 'Idempotency-Key': keys[i * 10] });
  });
  const responses = await Promise.all([...changes, ...repeats]);
  expectNo5xx(responses);
  // Refused: the runtime is busy with its pair's change, or a stop removed it already.
  for (const refused of responses.filter((r) => r.status !== 202)) {
    expect([404, 409], refused.text).toContain(refused.status);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
  }
  const accepted = responses.slice(0, 100).filter((r) => r.status === 202);
  expect(accepted.length).toBeGreaterThanOrEqual(20 + 16 + 32);
  // One key, one operation, whichever replica each copy reached.
  for (const [i, repeat] of responses.slice(100).entries()) {
    const ids = [responses[i * 10], repeat].filter((r) => r.status === 202).map((r) => r.json.id);
    expect(new Set(ids).size).toBeLessThanOrEqual(1);
  }
  const ended = await untilEnded([...new Set(accepted.map((r) => r.json.id as string))]);
  expect([...ended.values()].filter((op) => op.status !== 'Succeeded')).toEqual([]);
}

function approveClick(owner: Person, approvalId: string, replyToId: string) {
  return {
    ...messageActivity(connector.url, '', 'alex', CHANNEL, { from: owner }),
    type: 'invoke',
    name: 'adaptiveCard/action',
    text: undefined,
    replyToId,
    value: { action: { type: 'Action.Execute', verb: Verb.Approve, data: { approvalId } }, trigger: 'manual' },
  };
}

async function auditEntries(): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for await (const line of new AuditLog(botStorage, systemClock).export()) entries.push(JSON.parse(line));
  return entries;
}

/** Stores each conversation's reference and its subscription to `versions`, as `subscribe versions` would. */
async function subscribe(conversationIds: string[]): Promise<void> {
  const references = new ConversationStore(botStorage, ['127.0.0.1']);
  const subscriptions = new SubscriptionStore(botStorage, systemClock);
  const one = async (id: string) => {
    const key = await references.save({
      channelId: 'msteams',
      serviceUrl: connector.url,
      conversation: { id, conversationType: 'channel', isGroup: true, name: id },
      bot: { id: '28:bot-id', name: 'Runtime Bot' },
    });
    await subscriptions.subscribe(key!, { id, type: 'channel' }, ['versions'], {
      id: PEOPLE.megan.aadObjectId,
      name: PEOPLE.megan.name,
    });
  };
  for (let i = 0; i < conversationIds.length; i += 20) await Promise.all(conversationIds.slice(i, i + 20).map(one));
}
