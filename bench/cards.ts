/**
 * Cards: render time and serialized size of each Adaptive Card the bot sends, through cardFor(reply)
 * with realistic view models, at 10, 100 and 1,000 runtimes for the cards that list runtimes (the
 * others show one thing). Render time is paired with the help card, rendered in alternating slices
 * in the same second; size is compared with the 28 KB every card must fit for Teams.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { cardFor } from '../src/channels/teams/cards';
import { forgetRenderedCards, MAX_CARD_BYTES } from '../src/channels/teams/cards/render';
import { MAX_LIST_ROWS } from '../src/channels/teams/cards/views/runtimeList';
import { COMMANDS } from '../src/core/commands/registry';
import { toHelp } from '../src/core/commands/types';
import type { Reply } from '../src/core/replies';
import { buildSummary } from '../src/domain/summary';
import { newerThan } from '../src/domain/imageVersion';
import type { ImageVersionInfo } from '../src/domain/runtime';
import { approvalReply, operation, runtimeName, wireRuntimes } from './lib/fixtures';
import { figure, type Figure, median, type SectionResult } from './lib/stats';

const SECTION = 'Cards';
const SIZES = [10, 100, 1000];
const ROUNDS = 6;
const SLICE_MS = 40;

interface Case {
  card: string;
  runtimes?: number;
  reply: Reply;
}

function cases(now: number): Case[] {
  const catalogue = JSON.parse(
    readFileSync(path.join(__dirname, '../catalogue/promptflow-runtime-stable.json'), 'utf8'),
  ) as { repository: string; versions: ImageVersionInfo[] };
  const tags = catalogue.versions.map((v) => v.tag);
  const list: Case[] = [];
  for (const n of SIZES) {
    const all = wireRuntimes(n, tags, now);
    const outdated = all
      .filter((r) => r.outdated)
      .map((r) => ({
        name: r.name,
        type: r.type,
        imageVersion: r.imageVersion,
        newer: newerThan(r.imageVersion, tags),
      }));
    list.push(
      {
        card: 'runtimeList',
        runtimes: n,
        reply: {
          kind: 'runtimeList',
          runtimes: all.slice(0, MAX_LIST_ROWS),
          page: 1,
          pages: Math.ceil(n / MAX_LIST_ROWS),
          total: n,
        },
      },
      { card: 'summary', runtimes: n, reply: { kind: 'summary', summary: buildSummary(all, now) } },
      {
        card: 'versions',
        runtimes: n,
        reply: {
          kind: 'versions',
          report: { repository: catalogue.repository, latest: tags.at(-1), versions: catalogue.versions, outdated },
          canUpgrade: true,
        },
      },
    );
  }
  const failed = wireRuntimes(4, tags, now)[3];
  list.push(
    {
      card: 'runtimeDetail',
      reply: { kind: 'runtimeDetail', runtime: failed, actions: ['install', 'update', 'reset'] },
    },
    {
      card: 'alert',
      reply: {
        kind: 'alert',
        alert: {
          kind: 'failure',
          runtime: runtimeName(3),
          at: new Date(now - 60_000).toISOString(),
          reason: failed.error?.details,
          by: 'Alex Wilber',
          operationKind: 'install',
          actions: ['view', 'retry', 'reset'],
        },
      },
    },
    {
      card: 'progress',
      reply: { kind: 'operation', operation: operation(now), title: `Installing on ${runtimeName(3)}` },
    },
    { card: 'approval', reply: approvalReply(now) },
  );
  return list;
}

/**
 * Renders for `ms`, recording each render's time. Cold: the rendered cards are forgotten first, so
 * each render expands the template (a view model seen for the first time); warm: the same view
 * model again, answered by the render cache.
 */
function slice(reply: Reply, ms: number, into: number[], cold = true): void {
  const end = performance.now() + ms;
  do {
    if (cold) forgetRenderedCards();
    const t = performance.now();
    cardFor(reply);
    into.push(performance.now() - t);
  } while (performance.now() < end);
}

export async function run(): Promise<SectionResult> {
  const started = Date.now();
  const now = Date.now();
  const help: Reply = { kind: 'help', commands: COMMANDS.map(toHelp) };
  const helpCard = cardFor(help);
  const helpBytes = Buffer.byteLength(JSON.stringify(helpCard));
  const figures: Figure[] = [];
  const notes: string[] = [];
  let helpSamples = 0;
  slice(help, 300, []); // warm-up: the baseline must be as hot as the cards it is paired with
  for (const c of cases(now)) {
    const card = cardFor(c.reply);
    if (!card) throw new Error(`cardFor gave no card for ${c.card}`);
    const bytes = Buffer.byteLength(JSON.stringify(card));
    for (let i = 0; i < 20; i++) cardFor(c.reply); // warm-up
    const own: number[] = [];
    const base: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      slice(c.reply, SLICE_MS, own);
      slice(help, SLICE_MS, base);
    }
    helpSamples += base.length;
    const label = `${c.card}${c.runtimes ? ` @ ${c.runtimes.toLocaleString('en-US')} runtimes` : ''}`;
    figures.push(
      figure(SECTION, `${label}: render median`, median(own), 'ms', { name: 'help card', value: median(base) }),
      figure(SECTION, `${label}: size`, bytes, 'bytes', { name: 'Teams card limit', value: MAX_CARD_BYTES }),
    );
    if (c.card === 'summary' && c.runtimes === SIZES.at(-1)) {
      const again: number[] = [];
      for (let round = 0; round < ROUNDS; round++) slice(c.reply, SLICE_MS, again, false);
      figures.push(
        figure(SECTION, `${label}: the same view model again (render cache)`, median(again), 'ms', {
          name: 'rendering it',
          value: median(own),
        }),
      );
    }
  }
  notes.push(
    `Each card is rendered in ${ROUNDS} slices of ${SLICE_MS} ms alternating with the help card (${helpSamples} help renders; ` +
      `the help card is ${helpBytes.toLocaleString('en-US')} bytes). Lists are paged (${MAX_LIST_ROWS} rows a page); the ` +
      'summary and versions cards show 10 and 20 rows a section and count the rest, so their cost should not grow with the runtimes. ' +
      'Render times are of a view model rendered for the first time (the render cache is emptied before each render); the ' +
      'rendered cards of the last 64 view models are kept, and one figure shows what a repeat costs (hashing the view model).',
  );
  return { section: SECTION, seconds: (Date.now() - started) / 1000, figures, notes };
}
