/**
 * The retirement cards: the inventory (one page of runtimes with owner, type, status, last use, idle
 * time, next step and Stop buttons for the viewer who may stop them) and the notice. With typical and
 * hostile data and 1,000 runtimes, each stays within 28 KB, keeps user text literal in TextRuns and
 * passes Adaptive Card validation; and the lines other cards carry say the same thing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CARDS_DIR, MAX_CARD_BYTES } from '../../../../src/channels/teams/cards/render';
import { Verb } from '../../../../src/core/actions/verbs';
import { helpCard } from '../../../../src/channels/teams/cards/views/help';
import { MAX_RETIREMENT_ROWS, retirementCard } from '../../../../src/channels/teams/cards/views/retirement';
import { retirementNoticeCard } from '../../../../src/channels/teams/cards/views/retirementNotice';
import { summaryCard } from '../../../../src/channels/teams/cards/views/summary';
import { versionCheckCard, versionsCard } from '../../../../src/channels/teams/cards/views/versions';
import { welcomeCard } from '../../../../src/channels/teams/cards/views/welcome';
import { RETIREMENT_PAGE_SIZE } from '../../../../src/core/commands/retirement';
import type { Reply, RetirementStatus } from '../../../../src/core/replies';
import { retirementStatus } from '../../../../src/core/retirement/calendar';
import { byIdleness, countSteps, inventoryRow } from '../../../../src/core/retirement/inventory';
import { RETIREMENT_DEFAULTS } from '../../../../src/config';
import { buildSummary } from '../../../../src/domain/summary';
import type { Runtime, RuntimeType } from '../../../../src/domain/runtime';
import { visibleText } from '../support';
import { cardActions, cardStrings, validateCard } from '../../../helpers/cardValidation';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const daysAgo = (n: number) => new Date(NOW - n * 86_400_000).toISOString();
const FROZEN = retirementStatus(RETIREMENT_DEFAULTS, NOW);
const RETIRED = retirementStatus(RETIREMENT_DEFAULTS, Date.parse('2027-05-01T00:00:00Z'));

const EXPR = '${$root.secret}';
const HOSTILE = `${EXPR} **x** [link](http://evil) 🚀 وقت`;
type Scenario = 'typical' | 'hostile' | 'wide';
function text(s: Scenario, t: string): string {
  if (s === 'typical') return t;
  if (s === 'hostile') return `${HOSTILE} ${t} ${'x'.repeat(10 * 1024)}`;
  return `${'中'.repeat(10 * 1024)} ${t} ${HOSTILE}`;
}

function runtimes(n: number, s: Scenario): Runtime[] {
  const types: RuntimeType[] = ['automatic', 'computeInstance', 'managedOnlineDeployment'];
  return Array.from({ length: n }, (_, i) => ({
    name: s === 'typical' ? `rt-${String(i).padStart(4, '0')}` : text(s, `rt-${i}`),
    type: types[i % 3],
    status: s === 'typical' ? ['Running', 'Failed', 'Unavailable', 'Starting'][i % 4] : text(s, 'Weird'),
    outdated: false,
    owner: { objectId: `oid-${i}`, name: s === 'typical' ? 'Alex Wilber' : text(s, 'Alex') },
    createdOn: daysAgo(200),
    modifiedOn: daysAgo(100),
    ...(i % 5 ? { lastUsedOn: daysAgo(i % 40) } : {}),
  }));
}

function reply(all: Runtime[], page: number, status: RetirementStatus, stoppable = true) {
  const rows = all.map((r) => inventoryRow(r, NOW, status.phase)).sort(byIdleness);
  const shown = rows.slice((page - 1) * RETIREMENT_PAGE_SIZE, page * RETIREMENT_PAGE_SIZE);
  return {
    kind: 'retirement',
    retirement: { ...status, runtimes: rows.length },
    rows: shown,
    steps: countSteps(rows),
    stoppable: stoppable ? shown.map((r) => r.name) : [],
    page,
    pages: Math.max(1, Math.ceil(rows.length / RETIREMENT_PAGE_SIZE)),
    total: rows.length,
  } satisfies Extract<Reply, { kind: 'retirement' }>;
}

const bytes = (card: object) => Buffer.byteLength(JSON.stringify(card));
const shown = (card: object) =>
  visibleText({
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
  });

describe('the retirement inventory card', () => {
  it.each(['typical', 'hostile', 'wide'] as const)(
    'should fit a page of 1,000 %s runtimes in 28 KB, valid, with a Stop per row and paging',
    (s) => {
      const card = retirementCard(reply(runtimes(1000, s), 2, FROZEN));
      expect(bytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
      expect(validateCard(card)).toEqual([]);
      expect(cardActions(card).map((a) => a.verb)).toEqual([
        ...Array(RETIREMENT_PAGE_SIZE).fill(Verb.Stop),
        Verb.RetirementPage,
        Verb.RetirementPage,
        Verb.RetirementPage,
      ]);
      expect(
        cardActions(card)
          .slice(-3)
          .map((a) => a.data),
      ).toEqual([{ page: 1 }, { page: 3 }, { page: 2 }]);
      const json = JSON.stringify(card);
      if (s === 'hostile') expect(json).toContain(EXPR); // literal, never evaluated
      // User text only in TextRuns (no markdown) or action data.
      for (const { path: p, value } of cardStrings(card))
        if (/\$\{|\*\*x\*\*|http:\/\/evil|[\u0600-\u06FF]|中/.test(value))
          expect(p).toMatch(/(\.inlines\[\d+\]\.text|\.data\.[A-Za-z]+)$/);
    },
  );

  it('should still fit when a caller passes 1,000 rows on one page: the rest is counted', () => {
    const all = runtimes(1000, 'hostile').map((r) => inventoryRow(r, NOW, 'frozen'));
    const page = reply([], 1, FROZEN);
    const card = retirementCard({ ...page, rows: all, stoppable: all.map((r) => r.name), total: 1000 });
    expect(bytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
    expect(validateCard(card)).toEqual([]);
    expect(shown(card)).toContain(`${1000 - MAX_RETIREMENT_ROWS} more runtimes on this page not shown.`);
  });

  it('should show owner, type, status, last use, idle time and the next step of each runtime', () => {
    const all: Runtime[] = [
      { ...runtimes(1, 'typical')[0], name: 'idle-one', status: 'Running', lastUsedOn: daysAgo(40) },
      {
        ...runtimes(1, 'typical')[0],
        name: 'ci-one',
        type: 'computeInstance',
        status: 'Running',
        owner: { objectId: 'oid-megan', name: 'Megan Bowen' },
        modifiedOn: daysAgo(2),
      },
      {
        ...runtimes(1, 'typical')[0],
        name: 'busy-one',
        type: 'managedOnlineDeployment',
        status: 'Running',
        lastUsedOn: daysAgo(0),
      },
    ];
    const text = shown(retirementCard(reply(all, 1, FROZEN)));
    expect(text).toContain('Prompt flow retires on 20 April 2027: 138 days left.');
    expect(text).toContain('goes read-only');
    expect(text).toContain('1 to stop · 1 to export · 1 to move to Agent Framework');
    expect(text).toContain('3 runtimes · longest idle first');
    expect(text).toMatch(
      /idle-one · Running · Compute session · Alex Wilber\nLast used \{\{DATE\([^)]+\)\}\} \{\{TIME\([^)]+\)\}\} · idle 40 days\nStop it — Unused for 40 days: stop it\./,
    );
    expect(text).toMatch(
      /ci-one · Running · Compute instance · Megan Bowen\nLast use not recorded · idle 2 days\nExport its flow — In use/,
    );
    expect(text).toMatch(
      /busy-one · Running · Online deployment · Alex Wilber\n.*idle less than a day\nMove it to Agent Framework — It serves an endpoint/,
    );
    expect(text.indexOf('idle-one')).toBeLessThan(text.indexOf('ci-one'));
  });

  it('should offer Stop only on the runtimes the viewer may stop', () => {
    const r = reply(runtimes(3, 'typical'), 1, FROZEN, false);
    expect(cardActions(retirementCard(r)).map((a) => a.verb)).toEqual([Verb.RetirementPage]);
    const one = { ...r, stoppable: [r.rows[1].name] };
    const stops = cardActions(retirementCard(one)).filter((a) => a.verb === Verb.Stop);
    expect(stops.map((a) => a.data)).toEqual([{ name: r.rows[1].name }]);
  });

  it('should say plainly what still works and what does not after the retirement', () => {
    const text = shown(retirementCard(reply(runtimes(2, 'typical'), 1, RETIRED)));
    expect(text).toContain('Prompt flow retired on 20 April 2027.');
    expect(text).toContain(
      'Still works: the local emulator, with every command; the audit trail (audit, audit --export); exports (retirement --export).',
    );
    expect(text).toContain(
      'No longer works: Azure Machine Learning prompt flow runtimes and compute sessions; the prompt flow pages of the studio; new runtime images.',
    );
    expect(text).toContain('2 to stop');
  });

  it('should say when no runtime is left', () => {
    const card = retirementCard(reply([], 1, FROZEN));
    expect(validateCard(card)).toEqual([]);
    expect(shown(card)).toContain('No runtime is left: nothing to stop, export or move.');
  });
});

describe('the retirement notice card', () => {
  it.each([
    [90, 'Prompt flow retires in 90 days', 'warning'],
    [7, 'Prompt flow retires in 7 days', 'attention'],
    [1, 'Prompt flow retires tomorrow', 'attention'],
  ])('should announce %i days left', (days, title, style) => {
    const card = retirementNoticeCard({
      kind: 'retirementNotice',
      retirement: { ...FROZEN, daysLeft: days, runtimes: 27 },
    });
    expect(validateCard(card)).toEqual([]);
    const text = shown(card);
    expect(text).toContain(title);
    expect(text).toContain('retires on 20 April 2027. 27 runtimes still exist.');
    expect(text).toContain('Microsoft Agent Framework');
    expect(JSON.stringify(card)).toContain(`"style":"${style}"`);
    expect(cardActions(card).map((a) => [a.verb, a.data])).toEqual([
      [Verb.RetirementPage, { page: 1 }],
      [Verb.RefreshSummary, {}],
    ]);
  });
});

describe('the retirement line on other cards', () => {
  const summary = buildSummary(runtimes(5, 'typical'), NOW);

  it('summary and digest: the days left and how many runtimes still exist, with a button to the plan', () => {
    const card = summaryCard({ kind: 'summary', summary, retirement: { ...FROZEN, runtimes: 5 } });
    expect(shown(card)).toContain('Prompt flow retires on 20 April 2027: 138 days left. 5 runtimes still exist.');
    expect(cardActions(card).map((a) => a.verb)).toContain(Verb.RetirementPage);
    const without = summaryCard({ kind: 'summary', summary });
    expect(shown(without)).not.toContain('Prompt flow');
    expect(cardActions(without).map((a) => a.verb)).not.toContain(Verb.RetirementPage);
  });

  it('summary after the day: what still works and what does not', () => {
    const text = shown(summaryCard({ kind: 'summary', summary, retirement: { ...RETIRED, runtimes: 5 } }));
    expect(text).toContain('Prompt flow retired on 20 April 2027. 5 runtimes still exist.');
    expect(text).toContain('Still works: the local emulator');
    expect(text).toContain('No longer works: Azure Machine Learning prompt flow runtimes and compute sessions');
  });

  it('versions and the version check: the images are frozen, and since when', () => {
    const report = { repository: 'mcr.microsoft.com/x', latest: '20251211.v2', versions: [], outdated: [] };
    const frozen =
      'The runtime images are frozen since 20 April 2026: no more updates, security fixes included. 20251211.v2 is the last image.';
    expect(shown(versionsCard({ kind: 'versions', report, canUpgrade: false, retirement: FROZEN }))).toContain(frozen);
    const check = { name: 'rt', imageVersion: '20251211.v2', latestVersion: '20251211.v2', outdated: false, newer: [] };
    expect(shown(versionCheckCard({ kind: 'versionCheck', check, retirement: FROZEN }))).toContain(frozen);
    const before = retirementStatus(RETIREMENT_DEFAULTS, Date.parse('2026-01-01T00:00:00Z'));
    expect(shown(versionsCard({ kind: 'versions', report, canUpgrade: false, retirement: before }))).toContain(
      'Prompt flow stops feature development on 20 April 2026',
    );
  });

  it('help and welcome: one line', () => {
    const line =
      'Prompt flow in Azure Machine Learning retires on 20 April 2027 (138 days left): say retirement for your runtimes and the move to Microsoft Agent Framework.';
    expect(shown(helpCard({ kind: 'help', commands: [], retirement: FROZEN }))).toContain(line);
    expect(shown(welcomeCard({ kind: 'welcome', retirement: FROZEN }))).toContain(line);
    expect(validateCard(welcomeCard({ kind: 'welcome', retirement: RETIRED }))).toEqual([]);
    expect(shown(welcomeCard({ kind: 'welcome', retirement: RETIRED }))).toContain(
      'retired on 20 April 2027: say retirement for what still works.',
    );
  });

  it('the templates are static Adaptive Cards 1.5', () => {
    for (const name of ['retirement', 'retirementNotice']) {
      const t = JSON.parse(readFileSync(path.join(CARDS_DIR, `${name}.json`), 'utf8'));
      expect(t).toMatchObject({
        type: 'AdaptiveCard',
        version: '1.5',
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      });
    }
  });
});
