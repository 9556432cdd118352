/**
 * What the product keeps in storage, and how many storage transactions it makes, measured on the
 * real bot and runtime service (in process, each on a MemoryStorage that counts every call):
 *
 * 1. A typical day of a team, through chat and the API on a fake clock: the records it leaves, by
 *    type, with their size as JSON and as Azure bills a block blob (Microsoft Learn, "Calculate the
 *    total billing size of a blob container": 124 bytes + 2 bytes per name character + 3 bytes plus
 *    name and value per metadata entry + 8 bytes + the data).
 * 2. The blob transactions of one change, from the chat message to its last card update.
 * 3. The transactions of an idle bot and service, with their timers running, for 90 s of real time,
 *    at two sizes, so that what grows with the number of runtimes and subscriptions shows.
 *
 * A blob `read` is one GET per key, `write` one PUT, `delete` one DELETE per key, `list` one List
 * Blobs call per 5,000 names. Prints Markdown for the README ("Storage a year of normal use takes").
 *
 *   npx tsx scripts/storageFootprint.ts
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBotApp } from '../src/channels/teams/app';
import { Verb } from '../src/core/actions/verbs';
import { createLogger } from '../src/logger';
import { createRuntimeServiceApp } from '../src/service/app';
import { localTimings } from '../src/service/providers/local/localProvider';
import { blobName } from '../src/storage/blobNames';
import { MemoryStorage } from '../src/storage/memoryStorage';
import type { StoreItems } from '../src/storage/storage';
import { messageActivity, postActivity, type Who } from '../test/helpers/activities';
import { cardActions } from '../test/helpers/cardValidation';
import { CountingStorage, type StorageCall } from '../test/helpers/countingStorage';
import { ACTORS, automatic, sendRequest } from '../test/helpers/service';
import { serviceConfig } from '../test/helpers/service';
import { botConfig, type Stack, startStack } from '../test/helpers/stack';

const ROOT = path.resolve(__dirname, '..');
const CHANNELS = 10;
const MINUTE = 60_000;

/** A MemoryStorage that remembers every key written, so that the script can read all that is left. */
class KeptStorage extends MemoryStorage {
  private readonly written = new Set<string>();

  override async write(changes: StoreItems): Promise<void> {
    await super.write(changes);
    for (const key of Object.keys(changes)) this.written.add(key);
  }

  snapshot(): Promise<StoreItems> {
    return this.read([...this.written]);
  }
}

interface TypeSize {
  records: number;
  json: number;
  billed: number;
}

/** Bytes per record type (the key's first segment), as JSON and as billed on Azure. */
function sizes(area: string, items: StoreItems): Map<string, TypeSize> {
  const out = new Map<string, TypeSize>();
  for (const [key, item] of Object.entries(items)) {
    const { eTag: _eTag, ...body } = item;
    const json = Buffer.byteLength(JSON.stringify(body));
    const name = blobName(area, key);
    // The backend stores one metadata entry, writeid, a UUID.
    const billed = 124 + 2 * name.length + (3 + 'writeid'.length + 36) + 8 + json;
    const type = `${area}/${key.split('/')[0]}`;
    const t = out.get(type) ?? { records: 0, json: 0, billed: 0 };
    out.set(type, { records: t.records + 1, json: t.json + json, billed: t.billed + billed });
  }
  return out;
}

/** Blob transactions of a list of storage calls, by kind. */
function transactions(calls: StorageCall[]): { read: number; write: number; delete: number; list: number } {
  const t = { read: 0, write: 0, delete: 0, list: 0 };
  for (const c of calls) t[c.method] += c.method === 'list' ? 1 : c.keys.length;
  return t;
}

const total = (t: ReturnType<typeof transactions>) => t.read + t.write + t.delete + t.list;

/** A typical day of a team: chat changes, two approvals, a failure, the digest, a new version. */
async function typicalDay(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'footprint-'));
  const policyFile = path.join(dir, 'policy.yaml');
  copyFileSync(path.join(ROOT, 'playground/policy.yaml'), policyFile);
  const botStorage = new CountingStorage(new KeptStorage());
  const serviceStorage = new CountingStorage(new KeptStorage());
  const stack = await startStack({ bot: { policyFile }, storage: { bot: botStorage, service: serviceStorage } });
  const say = (text: string, who: Who = 'alex', conversationId = '19:ops@thread.tacv2') =>
    stack.say(text, who, { kind: 'channel', conversationId });
  const drainNotices = async () => {
    for (let i = 0; i < 5; i++) await stack.bot.notifications.runOnce();
  };

  // Before the day: 30 runtimes (5 demo ones and 25 more), 10 channels subscribed to everything.
  for (let i = 0; i < 25; i++) {
    const res = await sendRequest(stack.serviceUrl, 'PUT', `/v1/runtimes/team-${i}`, {
      actor: ACTORS.alex,
      body: automatic({ idleTimeMinutes: 600 }),
    });
    if (res.status !== 202) throw new Error(`create team-${i}: ${res.status} ${res.text}`);
  }
  await stack.settle();
  for (let i = 0; i < CHANNELS; i++) await say('subscribe all', 'megan', `19:channel-${i}@thread.tacv2`);
  await stack.bot.notifications.notifier.pollEvents();
  await stack.service.events.settled();
  const before = {
    bot: sizes('bot', await (botStorage.inner as KeptStorage).snapshot()),
    service: sizes('service', await (serviceStorage.inner as KeptStorage).snapshot()),
  };

  // One change on its own: a chat install, from the message to the last card update. Each part
  // that works on it runs once, as its timer would: the engine's due step, the tracker's update,
  // the notifier's read of the new events. What those timers cost while idle is measured apart.
  botStorage.reset();
  serviceStorage.reset();
  await say('install team-0 numpy==1.26.4 pandas==2.2.3');
  stack.clock.advance(localTimings(1).installMs);
  await stack.service.engine.tick();
  await stack.service.events.settled();
  await stack.bot.tracker.tick();
  await stack.bot.notifications.notifier.pollEvents();
  const oneChange = { bot: transactions(botStorage.calls), service: transactions(serviceStorage.calls) };
  await stack.settle();

  // The rest of the day.
  const changes = [
    'create team-new-1 --vm-size Standard_E4ds_v4 --idle 120',
    'create team-new-2 --vm-size Standard_E4ds_v4 --idle 120',
    'install team-1 openai>=1.30 tiktoken',
    'install team-2 langchain==0.3.9',
    'install team-3 numpy==9.9.9', // fails: a failure notice to the subscribed channels
    'update team-4 --idle 90',
    'update team-5 --idle 240',
    'stop team-6',
    'stop team-7',
    'reset team-8',
    'reset team-9',
  ];
  for (const text of changes) {
    await say(text);
    stack.clock.advance(20 * MINUTE);
    await stack.settle();
  }
  for (const text of ['status', 'list', 'status team-1', 'approvals', 'versions', 'subscriptions'])
    for (let i = 0; i < 3; i++) await say(text, i % 2 ? 'adele' : 'alex');
  for (let i = 0; i < 2; i++) await approvedReset(stack, 'chat-dev');
  await sendRequest(stack.serviceUrl, 'POST', '/v1/versions', {
    actor: ACTORS.megan,
    body: { tag: '20991231.v1', notes: 'A monthly base-image release' },
  });
  await stack.service.events.settled();
  stack.clock.set(Date.parse('2026-11-24T08:00:30Z')); // the next morning's digest
  await stack.advance(1000);
  await drainNotices();
  await stack.settle();
  await stack.bot.approvals.sweep();

  const after = {
    bot: sizes('bot', await (botStorage.inner as KeptStorage).snapshot()),
    service: sizes('service', await (serviceStorage.inner as KeptStorage).snapshot()),
  };
  await stack.close();
  rmSync(dir, { recursive: true, force: true });

  console.log('## A typical day: what it adds, by record type\n');
  console.log(
    '| record type | records before the day | added by the day | bytes per record (JSON) | billed bytes per record |',
  );
  console.log('|---|---:|---:|---:|---:|');
  for (const area of ['service', 'bot'] as const) {
    const types = new Set([...before[area].keys(), ...after[area].keys()]);
    for (const type of [...types].sort()) {
      const a = after[area].get(type) ?? { records: 0, json: 0, billed: 0 };
      const b = before[area].get(type) ?? { records: 0, json: 0, billed: 0 };
      const per = (n: number, d: number) => (d ? Math.round(n / d) : 0);
      console.log(
        `| \`${type}\` | ${b.records} | ${a.records - b.records} | ${per(a.json, a.records)} | ${per(a.billed, a.records)} |`,
      );
    }
  }
  console.log(
    `\n(${changes.length + 3} changes: ${changes.length + 1} by chat, 2 approved resets; 18 read commands.)\n`,
  );
  console.log('## One change (chat install, to its last card update): blob transactions\n');
  console.log('| program | reads | writes | deletes | lists | total |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name, t] of Object.entries(oneChange))
    console.log(`| ${name} | ${t.read} | ${t.write} | ${t.delete} | ${t.list} | ${total(t)} |`);
}

/** Asks for `reset <runtime>` (owner approval by the demo policy) and approves it as Megan. */
async function approvedReset(stack: Stack, runtime: string): Promise<void> {
  const before = stack.connector.calls.length;
  await stack.say(`reset ${runtime}`, 'alex', { kind: 'channel' });
  const card = stack.connector.calls
    .slice(before)
    .flatMap((c) => (c.activity.attachments ?? []).map((a) => ({ id: c.id, content: a.content })))
    .find((a) => cardActions(a.content).some((action) => action.verb === Verb.Approve));
  if (!card) throw new Error(`no approval card for reset ${runtime}`);
  const data = cardActions(card.content).find((a) => a.verb === Verb.Approve)!.data as { approvalId: string };
  const click = {
    ...messageActivity(stack.connector.url, '', 'megan', { kind: 'channel' }),
    type: 'invoke',
    name: 'adaptiveCard/action',
    text: undefined,
    replyToId: card.id,
    value: { action: { type: 'Action.Execute', verb: Verb.Approve, data }, trigger: 'manual' },
  };
  await postActivity(stack.botUrl, click);
  stack.clock.advance(20 * MINUTE);
  await stack.settle();
}

/** An idle bot and service with their timers on, for `seconds` of real time; transactions per hour. */
async function idleHour(runtimes: number, subscriptions: number, seconds: number): Promise<string> {
  const serviceStorage = new CountingStorage(new MemoryStorage());
  const botStorage = new CountingStorage(new MemoryStorage());
  const service = createRuntimeServiceApp({
    config: serviceConfig({ demoData: false, durationScale: 0 }),
    storage: serviceStorage,
    log: createLogger('silent'),
  });
  const url = await service.start();
  for (let i = 0; i < runtimes; i++)
    await sendRequest(url, 'PUT', `/v1/runtimes/idle-${i}`, {
      actor: ACTORS.alex,
      body: automatic({ idleTimeMinutes: 600 }),
    });
  // No digest: these conversations have no stored reference, so a send would drop their subscriptions.
  const config = botConfig({ notifications: { idleWarningMinutes: 15, globalSendsPerSecond: 30 } });
  const bot = createBotApp({ config, storage: botStorage, log: createLogger('silent'), serviceUrl: url });
  await bot.start();
  for (let i = 0; i < subscriptions; i++) {
    const key = `conv-${i}`;
    await bot.notifications.subscriptions.subscribe(
      key,
      { id: `19:c-${i}@thread.tacv2`, type: 'channel' },
      ['versions', 'failures', 'idle', 'digest'],
      { id: ACTORS.megan.objectId },
    );
  }
  // Let the first rounds (cursor, first scans) pass, then count.
  await new Promise((r) => setTimeout(r, 3000));
  serviceStorage.reset();
  botStorage.reset();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const perHour = (s: CountingStorage) => {
    const t = transactions(s.calls);
    const scale = 3600 / seconds;
    return { read: t.read * scale, write: t.write * scale, delete: t.delete * scale, list: t.list * scale };
  };
  const s = perHour(serviceStorage);
  const b = perHour(botStorage);
  await bot.stop();
  await service.stop();
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return `| ${runtimes} runtimes, ${subscriptions} subscribed conversations | service: ${n(s.read)} reads, ${n(s.list)} lists, ${n(s.write + s.delete)} writes | bot: ${n(b.read)} reads, ${n(b.list)} lists, ${n(b.write + b.delete)} writes | ${n(total(s) + total(b))} |`;
}

async function main(): Promise<void> {
  await typicalDay();
  console.log('\n## Idle: blob transactions per hour of one bot and one service replica\n');
  console.log('| size | service | bot | total |');
  console.log('|---|---|---|---:|');
  // Both sizes at once; 90 s covers three of the 30 s sweeps and scans.
  for (const line of await Promise.all([idleHour(5, 0, 90), idleHour(50, 50, 90)])) console.log(line);
  process.exit(0);
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
