/**
 * Fan-out: one version notice to 1,000 subscribed conversations, drained by two bot replicas through
 * a loopback connector that enforces Teams' limits, at the default global cap (src/config.ts). The
 * baseline is the floor those limits allow: delivered / globalPerSecond seconds. Once clean, once
 * with the faults of test/helpers/fanoutStack.ts (429s, 412s, 502/504s, 10 conversations gone), on
 * file storage (a fresh folder) and on Blob storage (Azurite, a fresh container), each replica with
 * a storage client of its own on the shared folder or container, as separate processes would have.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { createStorage, type StorageSettings } from '../src/storage';
import { BLOCKED, FAULTS, startFanoutStack } from '../test/helpers/fanoutStack';
import type { FaultPlan } from '../test/helpers/throttledConnector';
import { type Azurite, AZURITE_NOTE, blobSettings, startAzurite } from './lib/blob';
import { figure, type Figure, type SectionResult } from './lib/stats';

const SECTION = 'Fan-out';
const CONVERSATIONS = 1000;

interface Outcome {
  seconds: number;
  delivered: number;
  problems: string[];
  /** Refused attempts by status and by why: 'throttled' by the connector's limits, or an injected 'fault'. */
  refused: Record<string, number>;
  throttled: number;
  maxRate: number;
}

/** Where a run's items go: a fresh folder or a fresh container, so that no run sees another's. */
interface Backend {
  label: string;
  settings(run: string): StorageSettings;
}

function backends(azurite: Azurite, dirs: string[]): Backend[] {
  return [
    {
      label: 'file storage',
      settings(run) {
        const dir = mkdtempSync(path.join(os.tmpdir(), `bench-fanout-${run}-`));
        dirs.push(dir);
        return { storage: 'file', dataDir: dir };
      },
    },
    { label: 'Blob storage (Azurite)', settings: (run) => blobSettings(azurite, `bench-fanout-${run}`) },
  ];
}

async function fanOut(globalPerSecond: number, settings: StorageSettings, faults?: FaultPlan): Promise<Outcome> {
  const stack = await startFanoutStack({
    conversations: CONVERSATIONS,
    globalPerSecond,
    ...(faults ? { faults } : {}),
    storage: (area) => createStorage(settings, area),
  });
  try {
    const { connector } = stack;
    const { queued, seconds } = await stack.publishAndDrain('20991231.v1');
    const expected = CONVERSATIONS - (faults ? BLOCKED.size : 0);
    const delivered = connector.accepted().length;
    const problems: string[] = [];
    if (queued !== CONVERSATIONS) problems.push(`${queued} notices queued, not ${CONVERSATIONS}`);
    if (delivered !== expected) problems.push(`${delivered} cards delivered, not ${expected}`);
    const duplicates = connector.duplicates((a) => JSON.stringify(a.attachments?.[0]?.content ?? a.text));
    if (duplicates.length) problems.push(`${duplicates.length} conversations got a duplicate`);
    const maxRate = connector.maxObservedRate(undefined, 1000);
    if (maxRate > globalPerSecond) problems.push(`${maxRate} sends in one second, over the cap of ${globalPerSecond}`);
    const refused: Record<string, number> = {};
    for (const r of connector.rejected())
      refused[`${r.status} ${r.reason}`] = (refused[`${r.status} ${r.reason}`] ?? 0) + 1;
    const throttled = connector.rejected().filter((r) => r.reason === 'throttled').length;
    return { seconds, delivered, problems, refused, throttled, maxRate };
  } finally {
    await stack.stop();
  }
}

export async function run(): Promise<SectionResult> {
  const started = Date.now();
  // The default cap, read the way the product reads it (no SEND_RATE_GLOBAL_PER_SECOND set).
  const cap = loadConfig({}).bot.notifications.globalSendsPerSecond;
  const faults = FAULTS;
  const figures: Figure[] = [];
  const notes: string[] = [];
  const dirs: string[] = [];
  const azurite = await startAzurite();
  try {
    for (const backend of backends(azurite, dirs))
      for (const [label, plan] of [
        ['no faults', undefined],
        ['with faults', faults],
      ] as const) {
        const run = `${backend.label.split(' ')[0].toLowerCase()}-${plan ? 'faults' : 'clean'}`;
        const o = await fanOut(cap, backend.settings(run), plan);
        const floor = o.delivered / cap;
        const name = `${backend.label}: version notice to ${CONVERSATIONS.toLocaleString('en-US')} conversations, ${label}`;
        figures.push(
          figure(
            SECTION,
            name,
            o.seconds,
            's',
            { name: `floor: ${o.delivered} cards at ${cap}/s`, value: floor },
            'lower',
          ),
        );
        const refused = Object.entries(o.refused).map(([why, n]) => `${n}×${why}`);
        notes.push(
          `${backend.label}, ${label}: ${o.delivered} cards delivered, at most ${o.maxRate} in any second; refused ` +
            `attempts: ${refused.length ? refused.join(', ') : 'none'}.` +
            (o.problems.length ? ` CHECK FAILED: ${o.problems.join('; ')}.` : ' No loss, no duplicate.'),
        );
        if (!plan && o.throttled)
          notes.push(
            `${backend.label}: with no fault injected the connector still throttled ${o.throttled} sends: each ` +
              `conversation gets one card, so it was the global cap. The outbox reserves ${cap} per 1.1 s in storage ` +
              "before it sends; a reservation and the send's arrival drift apart by more than that margin when the " +
              "replicas' event loop is busy. The sends were retried.",
          );
      }
  } finally {
    await azurite.dispose();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
  notes.push(
    `Two replicas drain one shared outbox in real time; global cap ${cap}/s (the default in src/config.ts). Each ` +
      'run has a fresh folder or container; each replica and the service open their own storage client on it.',
  );
  notes.push(AZURITE_NOTE);
  return { section: SECTION, seconds: (Date.now() - started) / 1000, figures, notes };
}
