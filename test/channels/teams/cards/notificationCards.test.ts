/**
 * The cards notifications post: the runtime alert (failure, idle warning, idle stop) with typical
 * and hostile data, the new-version notice with 1,000 outdated runtimes, and the daily digest.
 * Each must stay literal and inert, within 28 KB, pass Adaptive Card validation and show only the
 * buttons it may.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cardFor } from '../../../../src/channels/teams/cards';
import { type AdaptiveCard, CARDS_DIR, MAX_CARD_BYTES } from '../../../../src/channels/teams/cards/render';
import { Verb } from '../../../../src/core/actions/verbs';
import { alertCard } from '../../../../src/channels/teams/cards/views/alert';
import { summaryCard } from '../../../../src/channels/teams/cards/views/summary';
import { VERSIONS_ROWS, versionsCard } from '../../../../src/channels/teams/cards/views/versions';
import { dailyDigest, fromEvent } from '../../../../src/core/notifications/producers';
import type { Reply, RuntimeAlert } from '../../../../src/core/replies';
import { buildSummary } from '../../../../src/domain/summary';
import type { RuntimeClient } from '../../../../src/client/runtimeClient';
import type { OperationKind, Runtime, VersionsReport } from '../../../../src/domain/runtime';
import { cardActions, cardStrings, validateCard } from '../../../helpers/cardValidation';

const NOW = Date.parse('2026-11-23T09:00:00Z');
const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();

const EXPR = '${$root.secret}';
const FUNC = "${if(true,'x','y')}";
const MARKDOWN = '**x** [link](http://evil) <at>everyone</at>';
const EMOJI = '🚀🔥👩‍💻';
const RTL = 'وقت التشغيل فشل זמן ריצה נכשל';
const CONTROL = 'a\u0000b\u0007c\u001b[31md\u202Egnp.exe\u2066e\uFEFF';
const HOSTILE = `${EXPR} ${FUNC} ${MARKDOWN} ${EMOJI} ${RTL} ${CONTROL}`;
const HOSTILE_BODIES = ['$root.secret}', "if(true,'x','y')}"];
const TEN_KB = 10 * 1024;

type Scenario = 'typical' | 'hostile' | 'huge';

function text(s: Scenario, typical: string): string {
  if (s === 'typical') return typical;
  if (s === 'hostile') return `${HOSTILE} ${typical}`;
  return `${HOSTILE} ${typical} ${'x'.repeat(TEN_KB)}`;
}

/** A reason like pip's: several lines; hostile ones get hostile lines and 10 KB of them. */
function reason(s: Scenario): string {
  const lines = [
    'pip install -r requirements.txt failed',
    'ERROR: Cannot install promptflow-tools==1.4.0 and openai==0.27.0 because these package versions have conflicting dependencies.',
    '    promptflow-tools 1.4.0 depends on openai>=1.0.0',
  ];
  if (s === 'typical') return lines.join('\n');
  const hostile = [...lines, HOSTILE, `\t${EXPR}\r\n${FUNC}`, '\u0007\u0007', '   ', EMOJI.repeat(50), RTL];
  if (s === 'hostile') return hostile.join('\n');
  return [...hostile, ...Array.from({ length: 200 }, (_, i) => `${HOSTILE} line ${i} ${'y'.repeat(60)}`)]
    .join('\n')
    .concat('z'.repeat(TEN_KB));
}

function alert(kind: RuntimeAlert['kind'], s: Scenario, extra: Partial<RuntimeAlert> = {}): Reply {
  const base: RuntimeAlert =
    kind === 'failure'
      ? {
          kind,
          runtime: text(s, 'chat-dev'),
          at: at(-1),
          reason: reason(s),
          by: text(s, 'Alex Wilber'),
          operationKind: 'install',
          actions: ['view', 'retry', 'reset'],
        }
      : {
          kind,
          runtime: text(s, 'chat-dev'),
          at: kind === 'idleWarning' ? at(15) : at(-1),
          actions: ['view', 'reset'],
        };
  return { kind: 'alert', alert: { ...base, ...extra } };
}

interface Case {
  label: string;
  reply: Reply;
  hostile: boolean;
  verbs: string[];
  title: string;
}

const cases: Case[] = [];
for (const s of ['typical', 'hostile', 'huge'] as Scenario[]) {
  const hostile = s !== 'typical';
  cases.push(
    {
      label: `failed install, ${s}`,
      reply: alert('failure', s),
      hostile,
      verbs: [Verb.Retry, Verb.Reset, Verb.ViewRuntime],
      title: 'Runtime failure',
    },
    {
      label: `failed reset, ${s}`,
      reply: alert('failure', s, { operationKind: 'reset', actions: ['view', 'retry'] }),
      hostile,
      verbs: [Verb.Retry, Verb.ViewRuntime],
      title: 'Runtime failure',
    },
    {
      label: `unavailable without an operation, ${s}`,
      reply: alert('failure', s, { operationKind: undefined, by: undefined, actions: ['view'] }),
      hostile,
      verbs: [Verb.ViewRuntime],
      title: 'Runtime failure',
    },
    {
      label: `retry asked for without an operation kind, ${s}`,
      reply: alert('failure', s, { operationKind: undefined, actions: ['view', 'retry', 'reset'] }),
      hostile,
      verbs: [Verb.Reset, Verb.ViewRuntime],
      title: 'Runtime failure',
    },
    {
      label: `idle warning, ${s}`,
      reply: alert('idleWarning', s),
      hostile,
      verbs: [Verb.Reset, Verb.ViewRuntime],
      title: 'Idle shutdown soon',
    },
    {
      label: `idle stop, ${s}`,
      reply: alert('idleStopped', s),
      hostile,
      verbs: [Verb.Reset, Verb.ViewRuntime],
      title: 'Stopped after being idle',
    },
  );
}
cases.push({
  label: 'a hostile time',
  reply: alert('idleWarning', 'typical', { at: `${EXPR} ${MARKDOWN}` }),
  hostile: true,
  verbs: [Verb.Reset, Verb.ViewRuntime],
  title: 'Idle shutdown soon',
});
cases.push({
  label: 'a reason of only control characters and blanks',
  reply: alert('failure', 'typical', { reason: '\u0000\u0007\n \n\t\r\n\u202E' }),
  hostile: false,
  verbs: [Verb.Retry, Verb.Reset, Verb.ViewRuntime],
  title: 'Runtime failure',
});

const bytes = (card: AdaptiveCard) => Buffer.byteLength(JSON.stringify(card));

/** Where user text may go: a TextRun's text (no markdown) or an action's data. */
const USER_TEXT_PATH = /(\.inlines\[\d+\]\.text|\.data\.[A-Za-z]+)$/;

/** Every `${` in the card comes from hostile data (possibly clipped), and none in typical cards. */
function expectNoUnresolvedExpressions(card: AdaptiveCard, hostile: boolean, template: string): void {
  const json = JSON.stringify(card);
  const source = readFileSync(path.join(CARDS_DIR, `${template}.json`), 'utf8');
  for (const expr of new Set(source.match(/\$\{[^}]*\}/g) ?? []))
    expect(json, `template expression ${expr} left in the card`).not.toContain(expr);
  for (const { path: p, value } of cardStrings(card)) {
    let i = value.indexOf('${');
    while (i >= 0) {
      const rest = value.slice(i + 2);
      const fromData = HOSTILE_BODIES.some(
        (body) => rest.startsWith(body) || (rest.includes('…') && body.startsWith(rest.slice(0, rest.indexOf('…')))),
      );
      expect(hostile && fromData, `unresolved expression at ${p}: ${value.slice(i, i + 40)}`).toBe(true);
      i = value.indexOf('${', i + 2);
    }
  }
}

describe('the alert card', () => {
  it.each(cases.map((c) => [c.label, c] as const))('%s', (_label, c) => {
    const card = cardFor(c.reply)!;
    expect(card).toEqual(alertCard(c.reply as Extract<Reply, { kind: 'alert' }>));
    expect(validateCard(card)).toEqual([]);
    expect(bytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
    expectNoUnresolvedExpressions(card, c.hostile, 'alert');
    expect(cardActions(card).map((a) => a.verb)).toEqual(c.verbs);
    const json = JSON.stringify(card);
    expect(json).toContain(c.title);

    const strings = cardStrings(card);
    if (c.hostile) {
      // User text stays in TextRuns or action data, never in TextBlocks (markdown) or facts.
      for (const { path: p, value } of strings)
        if (/\$\{|\*\*x\*\*|http:\/\/evil|<at>|[\u0590-\u06FF]/.test(value))
          expect(p, `user text at ${p}`).toMatch(USER_TEXT_PATH);
      // Control and bidi-override characters never reach the text a reader sees.
      for (const { path: p, value } of strings.filter((x) => !/\.data\./.test(x.path)))
        expect(value, p).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069\uFEFF]/);
    }
  });

  it('should carry the operation kind and the runtime in the Retry data', () => {
    const card = alertCard(alert('failure', 'typical') as Extract<Reply, { kind: 'alert' }>);
    const actions = cardActions(card);
    expect(actions.find((a) => a.verb === Verb.Retry)!.data).toEqual({ kind: 'install', name: 'chat-dev' });
    expect(actions.find((a) => a.verb === Verb.Reset)!.data).toEqual({ name: 'chat-dev' });
    expect(actions.find((a) => a.verb === Verb.ViewRuntime)!.data).toEqual({ name: 'chat-dev' });
  });

  it('should show the reason, clipped, with a note when it was cut', () => {
    const typical = JSON.stringify(alertCard(alert('failure', 'typical') as Extract<Reply, { kind: 'alert' }>));
    expect(typical).toContain('conflicting dependencies');
    expect(typical).toContain('Requested by ');
    expect(typical).toContain('Alex Wilber');
    expect(typical).not.toContain('Shortened');
    const huge = alertCard(alert('failure', 'huge') as Extract<Reply, { kind: 'alert' }>);
    expect(JSON.stringify(huge)).toContain('Shortened');
    const box = (huge.body as { style?: string; items?: { type: string; inlines?: { fontType?: string }[] }[] }[]).find(
      (e) => e.style === 'emphasis',
    )!;
    const lines = box.items!.filter((i) => i.type === 'RichTextBlock');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(12);
    for (const l of lines) expect(l.inlines![0].fontType).toBe('Monospace');
  });

  it('should show times with the client date functions, and no time for an unreadable one', () => {
    const ok = JSON.stringify(alertCard(alert('idleWarning', 'typical') as Extract<Reply, { kind: 'alert' }>));
    expect(ok).toContain(`{{DATE(${at(15).replace('.000Z', 'Z')}, SHORT)}}`);
    const bad = JSON.stringify(
      alertCard(alert('idleWarning', 'typical', { at: 'not a time' }) as Extract<Reply, { kind: 'alert' }>),
    );
    expect(bad).toContain('unknown time');
    expect(bad).not.toContain('not a time');
  });

  it.each<[OperationKind, string[]]>([
    ['create', ['view', 'retry', 'reset']],
    ['update', ['view', 'retry', 'reset']],
    ['upgrade', ['view', 'retry', 'reset']],
    ['stop', ['view', 'retry', 'reset']],
    ['reset', ['view', 'retry']],
  ])('should render what the producer makes of a failed %s', async (kind, actions) => {
    const client = {} as RuntimeClient;
    const [p] = await fromEvent(
      {
        id: '000000000001',
        type: 'operation.completed',
        time: at(0),
        data: {
          runtimeName: 'chat-dev',
          operation: {
            id: 'op-1',
            kind,
            status: 'Failed',
            requestedBy: { objectId: 'u', name: HOSTILE },
            createdOn: at(-5),
            endedOn: at(-1),
            error: { code: 'X', message: HOSTILE, details: 'd'.repeat(TEN_KB) },
          },
        },
      },
      client,
    );
    expect((p.reply as Extract<Reply, { kind: 'alert' }>).alert.actions).toEqual(actions);
    const card = cardFor(p.reply)!;
    expect(validateCard(card)).toEqual([]);
    expect(bytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
    expectNoUnresolvedExpressions(card, true, 'alert');
    const verbs = cardActions(card).map((a) => a.verb);
    expect(verbs).toEqual(
      kind === 'reset' ? [Verb.Retry, Verb.ViewRuntime] : [Verb.Retry, Verb.Reset, Verb.ViewRuntime],
    );
  });
});

describe('the new-version notice', () => {
  function report(outdated: number, s: Scenario = 'typical'): VersionsReport {
    return {
      repository: 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable',
      latest: '20261120.v1',
      versions: [{ tag: '20261120.v1', notes: text(s, 'Python 3.12 and promptflow 1.18'), publishedOn: at(-60) }],
      outdated: Array.from({ length: outdated }, (_, k) => ({
        name: s === 'typical' ? `chat-${String(k).padStart(4, '0')}` : text(s, `rt-${k}`),
        type: 'automatic' as const,
        imageVersion: '20261001.v1',
        newer: ['20261120.v1'],
      })),
    };
  }

  const notice = (r: VersionsReport): Extract<Reply, { kind: 'versions' }> => ({
    kind: 'versions',
    report: r,
    canUpgrade: true,
    notice: { tag: '20261120.v1', previousLatest: '20261001.v1' },
  });

  it.each<[string, Scenario]>([
    ['typical', 'typical'],
    ['hostile', 'hostile'],
    ['huge', 'huge'],
  ])('should list 1,000 outdated runtimes with Upgrade buttons within 28 KB (%s)', (_label, s) => {
    const card = versionsCard(notice(report(1000, s)));
    expect(validateCard(card)).toEqual([]);
    expect(bytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
    expectNoUnresolvedExpressions(card, s !== 'typical', 'versions');
    const json = JSON.stringify(card);
    expect(json).toContain('New base image version');
    expect(json).not.toContain('Base image versions');
    expect(json).toContain('1000 runtimes are outdated: upgrade them from here');
    expect(json).toContain(`and ${1000 - VERSIONS_ROWS} more`);
    expect(cardActions(card).map((a) => a.verb)).toEqual(Array(VERSIONS_ROWS).fill(Verb.Upgrade));
    if (s === 'typical')
      expect(cardActions(card).map((a) => a.data)).toEqual(
        report(VERSIONS_ROWS).outdated.map((o) => ({ name: o.name })),
      );
  });

  it('should keep the plain title without a notice', () => {
    const json = JSON.stringify(versionsCard({ kind: 'versions', report: report(3), canUpgrade: true }));
    expect(json).toContain('Base image versions');
    expect(json).not.toContain('New base image version');
    expect(json).not.toContain('upgrade them from here');
  });

  it('should render the notice the producer makes from an image.released event', async () => {
    const r = report(1000);
    const client = { versions: async () => r } as unknown as RuntimeClient;
    const [p] = await fromEvent(
      { id: '000000000009', type: 'image.released', time: at(0), data: { tag: '20261120.v1', isLatest: true } },
      client,
    );
    const card = cardFor(p.reply)!;
    expect(validateCard(card)).toEqual([]);
    expect(bytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
    expect(JSON.stringify(card)).toContain('New base image version');
    expect(JSON.stringify(card)).toContain('Python 3.12 and promptflow 1.18');
  });
});

describe('the daily digest', () => {
  function runtimes(n: number): Runtime[] {
    return Array.from({ length: n }, (_, i) => ({
      name: `chat-${i}`,
      type: 'automatic' as const,
      status: i % 5 === 0 ? 'Failed' : 'Running',
      outdated: i % 3 === 0,
      imageVersion: '20261001.v1',
      latestVersion: '20261120.v1',
      owner: { objectId: 'u', name: 'Alex' },
      createdOn: at(-6000),
      modifiedOn: at(-60),
      idleShutdownAt: at(30 + i),
      ...(i % 5 === 0 ? { error: { code: 'E', message: HOSTILE, details: `${HOSTILE}\n${'x'.repeat(TEN_KB)}` } } : {}),
    }));
  }

  it('should show its title on the summary card', async () => {
    const at = Date.parse('2026-11-23T08:00:00Z');
    const digest = dailyDigest(async () => buildSummary(runtimes(1000), at), at, '08:00')!;
    const p = await digest.produce();
    const card = cardFor(p.reply)!;
    expect(validateCard(card)).toEqual([]);
    expect(bytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
    expectNoUnresolvedExpressions(card, true, 'summary');
    const json = JSON.stringify(card);
    expect(json).toContain('Daily on-call digest');
    expect(json).not.toContain('On-call summary');
  });

  it('should keep the usual title for the status command', () => {
    const json = JSON.stringify(summaryCard({ kind: 'summary', summary: buildSummary(runtimes(3), NOW) }));
    expect(json).toContain('On-call summary');
    expect(json).not.toContain('Daily on-call digest');
  });
});
