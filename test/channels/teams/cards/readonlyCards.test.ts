/**
 * The read-only cards (help, welcome, list, detail, summary, versions, version check, progress),
 * rendered with typical and with hostile data: template expressions, markdown, 10 KB strings,
 * emoji, right-to-left text, and 1,000 runtimes. Each must keep user text literal and inert, stay
 * within 28 KB, pass Adaptive Card validation and show only the buttons it should.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AdaptiveCard, CARDS_DIR, MAX_CARD_BYTES } from '../../../../src/channels/teams/cards/render';
import { Verb } from '../../../../src/core/actions/verbs';
import { relative, safeText } from '../../../../src/channels/teams/cards/views/common';
import { helpCard } from '../../../../src/channels/teams/cards/views/help';
import { progressCard } from '../../../../src/channels/teams/cards/views/progress';
import { DETAIL_BUTTON_VERBS, runtimeDetailCard } from '../../../../src/channels/teams/cards/views/runtimeDetail';
import { runtimeListCard } from '../../../../src/channels/teams/cards/views/runtimeList';
import { SUMMARY_ROWS, summaryCard } from '../../../../src/channels/teams/cards/views/summary';
import { VERSIONS_ROWS, versionCheckCard, versionsCard } from '../../../../src/channels/teams/cards/views/versions';
import { welcomeCard } from '../../../../src/channels/teams/cards/views/welcome';
import type { CommandHelp, Reply, RetirementStatus } from '../../../../src/core/replies';
import { buildSummary } from '../../../../src/domain/summary';
import type {
  Operation,
  OperationKind,
  OperationStep,
  Runtime,
  RuntimeError,
  RuntimeType,
  VersionsReport,
} from '../../../../src/domain/runtime';
import { cardActions, cardStrings, validateCard } from '../../../helpers/cardValidation';
import { ACTORS } from '../../../helpers/service';

const NOW = Date.parse('2026-03-02T12:00:00Z');
/** Prompt flow's retirement as the lines show it: a month before, and after the day. */
const RETIRING: RetirementStatus = {
  phase: 'frozen',
  retiresOn: '2027-04-20',
  featureFreezeOn: '2026-04-20',
  lastImage: '20251211.v2',
  daysLeft: 30,
};
const RETIRED: RetirementStatus = { ...RETIRING, phase: 'retired', daysLeft: 0 };
const at = (minutesFromNow: number) => new Date(NOW + minutesFromNow * 60_000).toISOString();

// ---- hostile text ----------------------------------------------------------------------------

const EXPR = '${$root.secret}';
const FUNC = "${if(true,'x','y')}";
const MARKDOWN = '**x** [link](http://evil)';
const EMOJI = '🚀🔥👩‍💻';
const ARABIC = 'وقت التشغيل فشل';
const HEBREW = 'זמן ריצה נכשל';
const HOSTILE = `${EXPR} ${FUNC} ${MARKDOWN} ${EMOJI} ${ARABIC} ${HEBREW}`;
/** The bodies after `${` that hostile data may put in a card. */
const HOSTILE_BODIES = ['$root.secret}', "if(true,'x','y')}"];

type Scenario = 'typical' | 'hostile' | 'huge' | 'wide';
/** How a scenario fills a user field: as is, hostile, hostile plus 10 KB ASCII, or plus 10 KB of multi-byte text. */
function userText(s: Scenario, text: string): string {
  switch (s) {
    case 'typical':
      return text;
    case 'hostile':
      return `${HOSTILE} ${text}`;
    case 'huge':
      return `${HOSTILE} ${text} ${'x'.repeat(10 * 1024)}`;
    case 'wide':
      // The most bytes per kept character (3 UTF-8 bytes per UTF-16 unit, CJK) from the first one on,
      // so that clipping keeps only wide text; JSON-escaped quote and backslash first.
      return `"\\${'中'.repeat(10 * 1024)} ${text} ${HOSTILE}`;
  }
}

// ---- fixtures ---------------------------------------------------------------------------------

const PIP_DETAILS = [
  'ERROR: Cannot install promptflow-tools==1.4.0 and openai==0.27.0 because these package versions have conflicting dependencies.',
  '',
  'The conflict is caused by:',
  '    promptflow-tools 1.4.0 depends on openai>=1.0.0',
  '    The user requested openai==0.27.0',
  'To fix this you could try to:',
  '1. loosen the range of package versions you have specified',
  '2. remove package versions to allow pip attempt to solve the dependency conflict',
].join('\n');

function runtime(i: number, s: Scenario = 'typical', over: Partial<Runtime> = {}): Runtime {
  const u = (t: string) => userText(s, t);
  const types: RuntimeType[] = ['automatic', 'computeInstance', 'managedOnlineDeployment'];
  const statuses = ['Running', 'Failed', 'Starting', 'Unavailable', 'Running', 'Stopping'];
  const type = types[i % 3];
  const base: Runtime = {
    name: s === 'typical' ? `chat-${String(i).padStart(4, '0')}` : u(`rt-${i}`),
    type,
    status: statuses[i % statuses.length],
    outdated: i % 4 === 0,
    imageVersion: '20260101.v3',
    latestVersion: '20260215.v1',
    owner: { objectId: `oid-${i}`, name: s === 'typical' ? 'Alex Wilber' : u('Alex') },
    createdOn: at(-60 * 24 * 30),
    modifiedOn: at(-60 * 5),
    lastUsedOn: at(-20),
    description: s === 'typical' ? 'Chat flow for the support bot' : u('desc'),
  };
  if (type === 'automatic') {
    Object.assign(base, {
      vmSize: 'Standard_E4s_v3',
      idleTimeMinutes: 60,
      idleShutdownAt: at(30 + i),
      identity: { type: 'user' },
      packages:
        s === 'typical' ? ['openai==1.30.0', 'promptflow-tools'] : Array.from({ length: 3 }, (_, k) => u(`pkg${k}`)),
      packagesInstalled: true,
    });
  } else if (type === 'computeInstance') {
    Object.assign(base, {
      computeInstanceName: s === 'typical' ? 'ci-alex' : u('ci'),
      customApplication: { mode: 'existing', name: s === 'typical' ? 'pf-app' : u('app') },
      environment: { mode: 'customized', name: s === 'typical' ? 'my-env:3' : u('env') },
    });
  } else {
    Object.assign(base, {
      endpointName: s === 'typical' ? 'ep-chat' : u('ep'),
      deploymentName: s === 'typical' ? 'blue' : u('dep'),
      instanceType: 'Standard_DS3_v2',
      instanceCount: 2,
    });
  }
  if (base.status === 'Failed' || base.status === 'Unavailable') {
    base.error = err(s);
    base.statusMessage = s === 'typical' ? 'Package installation failed' : u('status message');
  }
  if (i % 5 === 2)
    base.activeOperation = {
      id: `op-a-${i}`,
      kind: 'install',
      status: 'Running',
      requestedBy: ACTORS.megan,
      createdOn: at(-3),
    };
  if (i % 3 === 1)
    base.lastOperation = {
      id: `op-l-${i}`,
      kind: 'reset',
      status: i % 2 ? 'Succeeded' : 'Failed',
      requestedBy: ACTORS.alex,
      createdOn: at(-90),
      endedOn: at(-80),
      ...(i % 2 ? {} : { error: err(s, 'ResetFailed') }),
    };
  return { ...base, ...over };
}

function err(s: Scenario, code = 'PipInstallFailed'): RuntimeError {
  return {
    code: s === 'typical' ? code : userText(s, code),
    message: s === 'typical' ? 'pip could not resolve the requirements.' : userText(s, 'message'),
    details: s === 'typical' ? PIP_DETAILS : Array.from({ length: 8 }, (_, k) => userText(s, `line ${k}`)).join('\n'),
  };
}

/** Every optional field set, hostile where it is text. */
function fullRuntime(s: Scenario): Runtime {
  const u = (t: string) => userText(s, t);
  return runtime(1, s, {
    type: 'automatic',
    status: s === 'typical' ? 'Failed' : u('Weird'),
    statusMessage: u('status message'),
    error: err(s),
    description: u('description'),
    imageVersion: u('20260101.v3'),
    latestVersion: u('20260215.v1'),
    outdated: true,
    vmSize: u('Standard_E4s_v3'),
    idleTimeMinutes: 120,
    idleShutdownAt: at(45),
    identity: {
      type: 'userAssigned',
      resourceId: u('/subscriptions/x/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/pf'),
    },
    baseImage: u('mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable:20260101.v3'),
    pythonRequirementsTxt: u('requirements.txt'),
    packages: Array.from({ length: 300 }, (_, k) => u(`package-${k}==1.0`)),
    packagesInstalled: false,
    computeName: u('compute'),
    computeInstanceName: u('ci'),
    customApplication: { mode: 'new', name: u('app') },
    environment: { mode: 'customized', name: u('env') },
    endpointName: u('ep'),
    deploymentName: u('dep'),
    instanceType: u('Standard_DS3_v2'),
    instanceCount: 3,
    activeOperation: {
      id: u('op-active'),
      kind: 'upgrade',
      status: 'Running',
      requestedBy: { objectId: 'oid', name: u('Megan') },
      createdOn: at(-2),
    },
    lastOperation: {
      id: u('op-last'),
      kind: 'install',
      status: 'Failed',
      requestedBy: { objectId: 'oid', name: u('Alex') },
      createdOn: at(-30),
      endedOn: at(-25),
      error: err(s, 'OtherError'),
    },
  });
}

function commands(s: Scenario): CommandHelp[] {
  const names = [
    'help',
    'status',
    'list',
    'versions',
    'create',
    'install',
    'update',
    'reset',
    'upgrade',
    'stop',
    'subscribe',
  ];
  return names.map((n) => ({
    name: s === 'typical' ? n : userText(s, n),
    aliases: s === 'typical' ? (n === 'list' ? ['ls'] : []) : [userText(s, 'alias')],
    summary: s === 'typical' ? `What ${n} does, in one sentence.` : userText(s, 'summary'),
    usage: s === 'typical' ? `${n} <name> [--flag value]` : userText(s, 'usage'),
    examples:
      s === 'typical'
        ? [`${n} chat-dev`, `${n} chat-dev\n--flag x`]
        : Array.from({ length: 20 }, (_, k) => userText(s, `example ${k}`)),
  }));
}

function listReply(
  all: Runtime[],
  page: number,
  filter?: string,
  pageSize = 15,
): Extract<Reply, { kind: 'runtimeList' }> {
  return {
    kind: 'runtimeList',
    runtimes: all.slice((page - 1) * pageSize, page * pageSize),
    page,
    pages: Math.max(1, Math.ceil(all.length / pageSize)),
    total: all.length,
    ...(filter ? { filter } : {}),
  };
}

function detailReply(r: Runtime, actions: OperationKind[]): Extract<Reply, { kind: 'runtimeDetail' }> {
  return { kind: 'runtimeDetail', runtime: r, actions };
}

function versionsReport(s: Scenario, outdated: number): VersionsReport {
  const tags = ['20251201.v1', '20260101.v3', '20260115.v2', '20260215.v1'];
  return {
    repository:
      s === 'typical' ? 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable' : userText(s, 'repo'),
    latest: s === 'typical' ? tags[3] : userText(s, tags[3]),
    versions: tags.map((tag, k) => ({
      tag: s === 'typical' || k < 3 ? tag : userText(s, tag),
      notes: s === 'typical' ? `Notes for ${tag}` : userText(s, 'notes'),
      publishedOn: at(-60 * 24 * (40 - k * 10)),
    })),
    outdated: Array.from({ length: outdated }, (_, k) => ({
      name: s === 'typical' ? `chat-${k}` : userText(s, `rt-${k}`),
      type: 'automatic' as const,
      imageVersion: s === 'typical' ? tags[k % 3] : userText(s, tags[k % 3]),
      newer: tags.slice((k % 3) + 1),
    })),
  };
}

function operation(s: Scenario, status: Operation['status'], over: Partial<Operation> = {}): Operation {
  const stepCount = s === 'typical' ? 4 : 100;
  const steps: OperationStep[] = Array.from({ length: stepCount }, (_, k) => ({
    at: at(-10 + k * 0.1),
    status: k === stepCount - 1 ? status : 'Running',
    message:
      s === 'typical'
        ? ['Accepted', 'Resolving requirements', 'Installing 12 packages', 'Restarting the runtime'][k % 4]
        : userText(s, `step ${k}`),
  }));
  return {
    id: s === 'typical' ? 'op-7f3a' : 'op-7f3a-hostile',
    kind: 'install',
    runtimeName: s === 'typical' ? 'chat-dev' : userText(s, 'rt'),
    status,
    requestedBy: { objectId: 'oid-alex', name: s === 'typical' ? 'Alex Wilber' : userText(s, 'Alex') },
    createdOn: at(-10),
    updatedOn: at(-1),
    ...(status === 'Succeeded' || status === 'Failed' ? { endedOn: at(-1) } : {}),
    input: { requirements: 'openai' },
    warnings:
      s === 'typical'
        ? status === 'Succeeded'
          ? ['openai 1.30.0 is older than the version the flow was tested with.']
          : []
        : Array.from({ length: 30 }, (_, k) => userText(s, `warning ${k}`)),
    ...(status === 'Failed' ? { error: err(s) } : {}),
    steps,
    ...over,
  };
}

// ---- cases ------------------------------------------------------------------------------------

interface Case {
  card: string;
  label: string;
  hostile: boolean;
  render: () => AdaptiveCard;
  /** The verbs of the card's buttons, in order; checked exactly when given. */
  verbs?: string[];
  check?: (card: AdaptiveCard) => void;
}

const ALL_ACTIONS: OperationKind[] = ['install', 'update', 'upgrade', 'reset', 'stop'];
const HOSTILE_SCENARIOS: Scenario[] = ['hostile', 'huge', 'wide'];
const manyCache = new Map<string, Runtime[]>();
/** n runtimes (built once per scenario and count). */
const many = (s: Scenario, n = 1000): Runtime[] => {
  const key = `${s}:${n}`;
  if (!manyCache.has(key))
    manyCache.set(
      key,
      Array.from({ length: n }, (_, i) => runtime(i, s)),
    );
  return manyCache.get(key)!;
};
const MANY_TYPICAL = many('typical');

const cases: Case[] = [
  {
    card: 'welcome',
    label: 'static',
    hostile: false,
    render: () => welcomeCard(),
    verbs: [Verb.RefreshSummary, Verb.ListPage, Verb.OpenCreate],
  },
  {
    card: 'help',
    label: 'all commands',
    hostile: false,
    render: () => helpCard({ kind: 'help', commands: commands('typical') }),
    verbs: [...commands('typical').map(() => Verb.ShowHelp), Verb.RefreshSummary],
  },
  {
    card: 'help',
    label: 'one command',
    hostile: false,
    render: () => helpCard({ kind: 'help', commands: commands('typical'), command: commands('typical')[2] }),
    verbs: [Verb.ShowHelp],
  },
  {
    card: 'runtimeList',
    label: 'one page',
    hostile: false,
    render: () => runtimeListCard(listReply(many('typical', 4), 1)),
    verbs: [Verb.ViewRuntime, Verb.ViewRuntime, Verb.ViewRuntime, Verb.ViewRuntime, Verb.ListPage],
  },
  {
    card: 'runtimeList',
    label: 'no runtimes',
    hostile: false,
    render: () => runtimeListCard(listReply([], 1)),
    verbs: [Verb.OpenCreate, Verb.ListPage],
  },
  {
    card: 'runtimeList',
    label: '1,000 runtimes, first page',
    hostile: false,
    render: () => runtimeListCard(listReply(MANY_TYPICAL, 1, 'status Running, type automatic')),
    verbs: [...Array(15).fill(Verb.ViewRuntime), Verb.ListPage, Verb.ListPage],
    check: (card) => {
      const [next, refresh] = (card.actions as { title: string; data: object; fallback: { data: object } }[]).slice(-2);
      expect(next.title).toBe('Next');
      expect(next.data).toEqual({ page: 2, status: 'Running', type: 'automatic' });
      expect(next.fallback.data).toEqual({ page: 2, status: 'Running', type: 'automatic', verb: Verb.ListPage });
      expect(refresh.data).toEqual({ page: 1, status: 'Running', type: 'automatic' });
    },
  },
  {
    card: 'runtimeList',
    label: '1,000 runtimes, middle page',
    hostile: false,
    render: () => runtimeListCard(listReply(MANY_TYPICAL, 30)),
    check: (card) =>
      expect((card.actions as { title: string; data: unknown }[]).map((a) => [a.title, a.data])).toEqual([
        ['Previous', { page: 29 }],
        ['Next', { page: 31 }],
        ['Refresh', { page: 30 }],
      ]),
  },
  {
    card: 'runtimeList',
    label: '1,000 runtimes, last page',
    hostile: false,
    render: () => runtimeListCard(listReply(MANY_TYPICAL, 67)),
    check: (card) => expect((card.actions as { title: string }[]).map((a) => a.title)).toEqual(['Previous', 'Refresh']),
  },
  {
    card: 'runtimeDetail',
    label: 'running, every action',
    hostile: false,
    render: () => runtimeDetailCard(detailReply(runtime(0), ALL_ACTIONS), NOW),
    verbs: [Verb.OpenInstall, Verb.OpenEdit, Verb.Upgrade, Verb.Reset, Verb.Stop, Verb.ViewRuntime],
  },
  {
    card: 'runtimeDetail',
    label: 'failed with pip output, reset and stop only',
    hostile: false,
    render: () => runtimeDetailCard(detailReply(fullRuntime('typical'), ['reset', 'stop']), NOW),
    verbs: [Verb.Reset, Verb.Stop, Verb.ViewRuntime],
    check: (card) => {
      const mono = cardStrings(card).filter((s) => s.value.includes('conflicting dependencies'));
      expect(mono.length).toBeGreaterThan(0);
      expect(JSON.stringify(card)).toContain('"fontType":"Monospace"');
      expect(JSON.stringify(card)).toContain('Outdated — latest is 20260215.v1');
    },
  },
  {
    card: 'runtimeDetail',
    label: 'compute instance, read-only viewer',
    hostile: false,
    render: () => runtimeDetailCard(detailReply(runtime(1), []), NOW),
    verbs: [Verb.ViewRuntime],
  },
  {
    card: 'runtimeDetail',
    label: 'online deployment, update only',
    hostile: false,
    render: () => runtimeDetailCard(detailReply(runtime(2), ['update']), NOW),
    verbs: [Verb.OpenEdit, Verb.ViewRuntime],
  },
  {
    card: 'summary',
    label: '40 runtimes',
    hostile: false,
    render: () => summaryCard({ kind: 'summary', summary: buildSummary(many('typical', 40), NOW) }),
    verbs: [...Array(SUMMARY_ROWS).fill(Verb.ViewRuntime), Verb.RefreshSummary, Verb.ListPage],
  },
  {
    card: 'summary',
    label: 'all quiet',
    hostile: false,
    render: () =>
      summaryCard({ kind: 'summary', summary: buildSummary([runtime(0, 'typical', { outdated: false })], NOW) }),
    verbs: [Verb.RefreshSummary, Verb.ListPage],
    check: (card) => expect(JSON.stringify(card)).toContain('All quiet'),
  },
  {
    card: 'summary',
    label: 'no runtimes',
    hostile: false,
    render: () => summaryCard({ kind: 'summary', summary: buildSummary([], NOW) }),
    check: (card) => expect(JSON.stringify(card)).toContain('No runtimes yet.'),
  },
  {
    card: 'summary',
    label: '1,000 runtimes',
    hostile: false,
    render: () => summaryCard({ kind: 'summary', summary: buildSummary(MANY_TYPICAL, NOW) }),
    check: (card) => expect(JSON.stringify(card)).toMatch(/and \d+ more/),
  },
  {
    card: 'versions',
    label: 'may upgrade',
    hostile: false,
    render: () => versionsCard({ kind: 'versions', report: versionsReport('typical', 3), canUpgrade: true }),
    verbs: [Verb.Upgrade, Verb.Upgrade, Verb.Upgrade],
  },
  {
    card: 'versions',
    label: 'may not upgrade',
    hostile: false,
    render: () => versionsCard({ kind: 'versions', report: versionsReport('typical', 3), canUpgrade: false }),
    verbs: [],
  },
  {
    card: 'versions',
    label: 'all up to date',
    hostile: false,
    render: () => versionsCard({ kind: 'versions', report: versionsReport('typical', 0), canUpgrade: false }),
    verbs: [],
  },
  {
    card: 'versions',
    label: '1,000 outdated',
    hostile: false,
    render: () => versionsCard({ kind: 'versions', report: versionsReport('typical', 1000), canUpgrade: true }),
    verbs: Array(VERSIONS_ROWS).fill(Verb.Upgrade),
    check: (card) => expect(JSON.stringify(card)).toContain(`and ${1000 - VERSIONS_ROWS} more`),
  },
  {
    card: 'versionCheck',
    label: 'outdated',
    hostile: false,
    render: () =>
      versionCheckCard({
        kind: 'versionCheck',
        check: {
          name: 'chat-dev',
          imageVersion: '20260101.v3',
          latestVersion: '20260215.v1',
          outdated: true,
          newer: versionsReport('typical', 0).versions.slice(2),
        },
      }),
    verbs: [Verb.Upgrade, Verb.ViewRuntime],
  },
  {
    card: 'versionCheck',
    label: 'up to date',
    hostile: false,
    render: () =>
      versionCheckCard({
        kind: 'versionCheck',
        check: {
          name: 'chat-dev',
          imageVersion: '20260215.v1',
          latestVersion: '20260215.v1',
          outdated: false,
          newer: [],
        },
      }),
    verbs: [Verb.ViewRuntime],
  },
  {
    card: 'versionCheck',
    label: 'custom image',
    hostile: false,
    render: () =>
      versionCheckCard({
        kind: 'versionCheck',
        check: { name: 'chat-dev', latestVersion: '20260215.v1', outdated: false, newer: [] },
      }),
    verbs: [Verb.ViewRuntime],
  },
  {
    card: 'progress',
    label: 'running',
    hostile: false,
    render: () =>
      progressCard(
        { kind: 'operation', operation: operation('typical', 'Running'), title: 'Installing packages on chat-dev' },
        NOW,
      ),
    verbs: [Verb.RefreshOperation],
  },
  {
    card: 'progress',
    label: 'done',
    hostile: false,
    render: () =>
      progressCard(
        { kind: 'operation', operation: operation('typical', 'Succeeded'), title: 'Installing packages on chat-dev' },
        NOW,
      ),
    verbs: [Verb.ViewRuntime],
  },
  {
    card: 'progress',
    label: 'failed',
    hostile: false,
    render: () =>
      progressCard(
        { kind: 'operation', operation: operation('typical', 'Failed'), title: 'Installing packages on chat-dev' },
        NOW,
      ),
    verbs: [Verb.Retry, Verb.ViewRuntime],
    check: (card) => {
      const retry = cardActions(card).find((a) => a.verb === Verb.Retry)!;
      expect(retry.data).toEqual({ operationId: 'op-7f3a', kind: 'install', name: 'chat-dev' });
      expect(JSON.stringify(card)).toContain('conflicting dependencies');
    },
  },
  {
    card: 'progress',
    label: 'stopped',
    hostile: false,
    render: () =>
      progressCard(
        {
          kind: 'operation',
          operation: operation('typical', 'Succeeded', { kind: 'stop' }),
          title: 'Stopping chat-dev',
        },
        NOW,
      ),
    verbs: [Verb.ListPage],
  },
];

for (const s of HOSTILE_SCENARIOS) {
  cases.push(
    {
      card: 'help',
      label: `all commands, ${s}, with the retirement line`,
      hostile: true,
      render: () => helpCard({ kind: 'help', commands: commands(s), retirement: RETIRING }),
    },
    {
      card: 'help',
      label: `one command, ${s}`,
      hostile: true,
      render: () => helpCard({ kind: 'help', commands: commands(s), command: commands(s)[0] }),
      verbs: [Verb.ShowHelp],
    },
    {
      card: 'runtimeList',
      label: `15 rows with ${s} text`,
      hostile: true,
      render: () => runtimeListCard(listReply(many(s, 1000), 2, userText(s, 'status Failed, type automatic'))),
      verbs: [...Array(15).fill(Verb.ViewRuntime), Verb.ListPage, Verb.ListPage, Verb.ListPage],
    },
    {
      card: 'runtimeList',
      label: `1,000 rows not paged, ${s}`,
      hostile: true,
      render: () => runtimeListCard({ kind: 'runtimeList', runtimes: many(s), page: 1, pages: 1, total: 1000 }),
    },
    {
      card: 'runtimeList',
      label: `empty with ${s} filter`,
      hostile: true,
      render: () => runtimeListCard(listReply([], 1, userText(s, 'status Failed'))),
      verbs: [Verb.ListPage],
    },
    {
      card: 'runtimeDetail',
      label: `every field ${s}, every action`,
      hostile: true,
      render: () => runtimeDetailCard(detailReply(fullRuntime(s), ALL_ACTIONS), NOW),
      verbs: [Verb.OpenInstall, Verb.OpenEdit, Verb.Upgrade, Verb.Reset, Verb.Stop, Verb.ViewRuntime],
    },
    {
      card: 'summary',
      label: `1,000 ${s} runtimes, with the retirement line`,
      hostile: true,
      render: () =>
        summaryCard({
          kind: 'summary',
          summary: buildSummary(many(s), NOW),
          retirement: { ...RETIRING, runtimes: 1000 },
        }),
      verbs: [
        Verb.ViewRuntime,
        ...Array(SUMMARY_ROWS - 1).fill(Verb.ViewRuntime),
        Verb.RefreshSummary,
        Verb.ListPage,
        Verb.RetirementPage,
      ],
    },
    {
      card: 'summary',
      label: `1,000 distinct ${s} statuses, after the retirement`,
      hostile: true,
      render: () =>
        summaryCard({
          kind: 'summary',
          retirement: { ...RETIRED, runtimes: 1000 },
          summary: buildSummary(
            many(s).map((r, i) => ({ ...r, status: userText(s, `S${i}`) })),
            NOW,
          ),
        }),
    },
    {
      card: 'versions',
      label: `1,000 ${s} outdated, images frozen`,
      hostile: true,
      render: () =>
        versionsCard({ kind: 'versions', report: versionsReport(s, 1000), canUpgrade: true, retirement: RETIRING }),
      verbs: Array(VERSIONS_ROWS).fill(Verb.Upgrade),
    },
    {
      card: 'versionCheck',
      label: `50 ${s} newer versions, images frozen`,
      hostile: true,
      render: () =>
        versionCheckCard({
          kind: 'versionCheck',
          retirement: RETIRING,
          check: {
            name: userText(s, 'rt'),
            imageVersion: userText(s, 'v1'),
            latestVersion: userText(s, 'v2'),
            outdated: true,
            newer: Array.from({ length: 50 }, (_, k) => ({
              tag: userText(s, `v${k}`),
              notes: userText(s, 'notes'),
              publishedOn: at(-k),
            })),
          },
        }),
      verbs: [Verb.Upgrade, Verb.ViewRuntime],
    },
    {
      card: 'progress',
      label: `failed, 100 ${s} steps and warnings`,
      hostile: true,
      render: () =>
        progressCard({ kind: 'operation', operation: operation(s, 'Failed'), title: userText(s, 'title') }, NOW),
      verbs: [Verb.Retry, Verb.ViewRuntime],
    },
    {
      card: 'progress',
      label: `running, 100 ${s} steps`,
      hostile: true,
      render: () =>
        progressCard({ kind: 'operation', operation: operation(s, 'Running'), title: userText(s, 'title') }, NOW),
      verbs: [Verb.RefreshOperation],
    },
  );
}

// ---- checks -----------------------------------------------------------------------------------

const bytes = (card: AdaptiveCard) => Buffer.byteLength(JSON.stringify(card));

/** The `${…}` expressions of a card's template. */
function templateExpressions(card: string): string[] {
  const text = readFileSync(path.join(CARDS_DIR, `${card}.json`), 'utf8');
  return [...new Set(text.match(/\$\{[^}]*\}/g) ?? [])];
}

/** Paths where user text may go: a TextRun's text (no markdown) or an action's data. */
const USER_TEXT_PATH = /(\.inlines\[\d+\]\.text|\.data\.[A-Za-z]+)$/;

describe('read-only cards', () => {
  it.each(cases.map((c) => [`${c.card}: ${c.label}`, c] as const))('%s', (_name, c) => {
    const card = c.render();
    const json = JSON.stringify(card);
    const strings = cardStrings(card);

    // (a) No template expression survives; every `${` comes from hostile data, literally.
    for (const expr of templateExpressions(c.card))
      expect(json, `template expression ${expr} left in the card`).not.toContain(expr);
    for (const { path: p, value } of strings) {
      let i = value.indexOf('${');
      while (i >= 0) {
        const rest = value.slice(i + 2);
        // A hostile body, possibly cut by clipping ("${$root.sec…").
        const fromData = HOSTILE_BODIES.some(
          (body) => rest.startsWith(body) || (rest.includes('…') && body.startsWith(rest.slice(0, rest.indexOf('…')))),
        );
        expect(c.hostile && fromData, `unresolved expression at ${p}: ${value.slice(i, i + 40)}`).toBe(true);
        i = value.indexOf('${', i + 2);
      }
    }
    if (c.hostile) {
      if (!c.label.includes('wide')) {
        expect(json, 'hostile expressions appear literally').toContain(FUNC);
        expect(json).toContain(EXPR);
      }
      // User text stays in TextRuns (no markdown) or action data, never in TextBlocks or facts.
      for (const { path: p, value } of strings) {
        if (/\$\{|\*\*x\*\*|http:\/\/evil|[\u0590-\u06FF]/.test(value))
          expect(p, `user text at ${p}`).toMatch(USER_TEXT_PATH);
      }
    }

    // (b) Within the Teams budget.
    expect(bytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);

    // (c) A valid Adaptive Card 1.5 by the SDK and our rules.
    expect(validateCard(card)).toEqual([]);

    // (d) Exactly the expected buttons.
    if (c.verbs) expect(cardActions(card).map((a) => a.verb)).toEqual(c.verbs);
    c.check?.(card);
  });

  it.each(
    ([[], ['install'], ['update'], ['reset', 'stop'], ['upgrade'], ALL_ACTIONS, ['create']] as OperationKind[][]).map(
      (a) => [a.join(',') || 'none', a] as const,
    ),
  )('the detail card shows exactly the buttons for actions %s', (_label, actions) => {
    const card = runtimeDetailCard(detailReply(fullRuntime('typical'), actions), NOW);
    const expected = actions
      .map((a) => DETAIL_BUTTON_VERBS[a])
      .filter(Boolean)
      .sort();
    const shown = cardActions(card)
      .map((a) => a.verb as string)
      .filter((v) => v !== Verb.ViewRuntime);
    expect(shown.sort()).toEqual(expected);
    for (const a of cardActions(card)) expect(a.data).toEqual({ name: fullRuntime('typical').name });
  });

  it('the versions card offers Upgrade only with canUpgrade', () => {
    const report = versionsReport('typical', 5);
    expect(cardActions(versionsCard({ kind: 'versions', report, canUpgrade: true })).map((a) => a.data)).toEqual(
      report.outdated.map((o) => ({ name: o.name })),
    );
    expect(cardActions(versionsCard({ kind: 'versions', report, canUpgrade: false }))).toEqual([]);
  });

  it.each(['NotStarted', 'Running', 'Succeeded', 'Failed'] as const)(
    'the progress card offers Retry only when failed (%s)',
    (status) => {
      const verbs = cardActions(
        progressCard({ kind: 'operation', operation: operation('typical', status), title: 'Install' }, NOW),
      ).map((a) => a.verb);
      expect(verbs.includes(Verb.Retry)).toBe(status === 'Failed');
      expect(verbs.includes(Verb.RefreshOperation)).toBe(status === 'Running' || status === 'NotStarted');
    },
  );

  it('cards carry at least the facts of the markdown rendering', () => {
    const r = fullRuntime('typical');
    const json = JSON.stringify(runtimeDetailCard(detailReply(r, []), NOW));
    for (const fact of [
      'Failed',
      'status message',
      'Compute session',
      '20260101.v3',
      '20260215.v1',
      'Standard_E4s_v3',
      'after 120 min',
      'userAssignedIdentities/pf',
      'app',
      'env',
      'ep',
      'dep',
      'package-0==1.0',
      'not installed',
      'Alex Wilber',
      'Install packages',
      'failed',
      'Upgrade',
      'by Megan',
      'conflicting dependencies',
      'PipInstallFailed',
    ]) {
      expect(json).toContain(fact);
    }
  });

  it('user-facing templates are static: no user text, Adaptive Card 1.5', () => {
    for (const name of [
      'help',
      'welcome',
      'runtimeList',
      'runtimeDetail',
      'summary',
      'versions',
      'versionCheck',
      'progress',
    ]) {
      const t = JSON.parse(readFileSync(path.join(CARDS_DIR, `${name}.json`), 'utf8'));
      expect(t.$schema).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
      expect(t.version).toBe('1.5');
      expect(t.type).toBe('AdaptiveCard');
    }
  });
});

type CardJson = Record<string, any>;

describe('validateCard', () => {
  const good = () => JSON.parse(JSON.stringify(welcomeCard())) as CardJson;

  it('accepts a good card', () => {
    expect(validateCard(good())).toEqual([]);
  });

  const broken: [string, (c: CardJson) => void][] = [
    ['wrong type', (c) => (c.type = 'MessageCard')],
    ['wrong version', (c) => (c.version = '1.6')],
    ['no body', (c) => (c.body = [])],
    ['an unknown element', (c) => c.body.push({ type: 'Carousel', pages: [] })],
    ['an invalid property value', (c) => (c.body[1].weight = 'Heavy')],
    ['a misspelt property', (c) => (c.body[1].wieght = 'Bolder')],
    ['an unexpanded $when', (c) => (c.body[1].$when = '${x}')],
    ['an unexpanded boolean', (c) => (c.body[1].wrap = '${wrap}')],
    ['an empty TextBlock', (c) => (c.body[1].text = ' ')],
    ['an empty TextRun', (c) => c.body.push({ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: '' }] })],
    ['an empty container', (c) => c.body.push({ type: 'Container', items: [] })],
    ['an "undefined" string', (c) => (c.body[1].text = 'undefined')],
    ['a "null" string in action data', (c) => (c.actions[1].data.page = 'null')],
    ['a null value', (c) => (c.actions[1].data.page = null)],
    ['an Action.Submit button', (c) => (c.actions[0] = c.actions[0].fallback)],
    ['an Action.OpenUrl button', (c) => c.actions.push({ type: 'Action.OpenUrl', title: 'x', url: 'http://evil' })],
    ['an unknown verb', (c) => (c.actions[0].verb = 'runtime.delete')],
    ['no fallback', (c) => delete c.actions[0].fallback],
    ['a string fallback', (c) => (c.actions[0].fallback = 'drop')],
    ['a fallback of another type', (c) => (c.actions[0].fallback.type = 'Action.OpenUrl')],
    ['a fallback with another verb', (c) => (c.actions[1].fallback.data.verb = Verb.OpenCreate)],
    ['a fallback without the verb', (c) => delete c.actions[1].fallback.data.verb],
    ['a fallback with other data', (c) => (c.actions[1].fallback.data.page = 2)],
    ['a fallback with another title', (c) => (c.actions[1].fallback.title = 'Other')],
    ['a button without a title', (c) => (c.actions[1].title = '')],
    ['too many buttons', (c) => c.actions.push(...c.actions.map((a: object) => ({ ...a })))],
    [
      'a nested button without fallback',
      (c) =>
        c.body.push({ type: 'ActionSet', actions: [{ type: 'Action.Execute', title: 'x', verb: Verb.ViewRuntime }] }),
    ],
    ['a bad msteams width', (c) => (c.msteams = { width: 'Wide' })],
  ];

  it.each(broken)('rejects a card with %s', (_label, mutate) => {
    const card = good();
    mutate(card);
    expect(validateCard(card).length).toBeGreaterThan(0);
  });
});

describe('card text helpers', () => {
  it('removes bidi overrides and control characters but keeps right-to-left text', () => {
    expect(safeText(`a\u202Egnp.exe\u0007 ${ARABIC}`, 100)).toBe(`agnp.exe ${ARABIC}`);
  });

  it('never splits a surrogate pair when clipping', () => {
    const t = safeText('🚀'.repeat(10), 6);
    expect(t.endsWith('…')).toBe(true);
    expect(Buffer.from(t, 'utf8').toString('utf8')).toBe(t);
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(t)).toBe(false);
  });

  it('is never empty', () => {
    expect(safeText('  \n ', 10)).toBe('—');
    expect(safeText(undefined, 10, 'none')).toBe('none');
  });

  it('says how long ago or until', () => {
    expect(relative(at(-5), NOW)).toBe('5 min ago');
    expect(relative(at(120), NOW)).toBe('in 2 h');
    expect(relative(at(-60 * 24 * 3), NOW)).toBe('3 days ago');
    expect(relative('not a date', NOW)).toBe('');
  });
});
