/**
 * The `retirement` command with a hand-written runtime client, through the Dispatcher: card pages of
 * 15 runtimes, JSON-lines export pages of 50, Stop only where the viewer's permissions allow it and
 * never on a runtime that is busy, and clear answers to a wrong page or flag.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { RuntimeClient } from '../../../src/client/runtimeClient';
import { FakeClock } from '../../../src/clock';
import { RETIREMENT_DEFAULTS } from '../../../src/config';
import { directChanges } from '../../../src/core/changes';
import { EXPORT_PAGE_SIZE, RETIREMENT_PAGE_SIZE } from '../../../src/core/commands/retirement';
import type { CommandDeps } from '../../../src/core/commands/types';
import { Dispatcher } from '../../../src/core/dispatcher';
import { applicableActions, type Permissions } from '../../../src/core/permissions';
import type { Reply } from '../../../src/core/replies';
import type { Runtime } from '../../../src/domain/runtime';
import { createLogger } from '../../../src/logger';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { withMarkup } from '../../helpers/textMarkup';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const daysAgo = (n: number) => new Date(NOW - n * 86_400_000).toISOString();

function runtimes(n: number): Runtime[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `rt-${String(i).padStart(3, '0')}`,
    type: 'automatic',
    status: 'Running',
    outdated: false,
    owner: { objectId: `oid-${i % 3}`, name: ['Alex Wilber', 'Megan Bowen', 'Adele Vance'][i % 3] },
    createdOn: daysAgo(300),
    modifiedOn: daysAgo(200),
    lastUsedOn: daysAgo(i), // rt-000 used today … the highest number idle longest
  }));
}

let all: Runtime[];
let allowed: (runtime: Pick<Runtime, 'name'>) => boolean;
let dispatcher: Dispatcher;

beforeEach(() => {
  all = runtimes(120);
  allowed = () => true;
  const client = { allRuntimes: async () => all } as unknown as RuntimeClient;
  const permissions: Permissions = {
    actionsFor: async (_user, runtime) => (allowed(runtime) ? applicableActions(runtime) : []),
  };
  const deps: CommandDeps = {
    client,
    log: createLogger('silent'),
    clock: new FakeClock(NOW),
    readAttachment: async () => '',
    permissions,
    changes: directChanges(client),
    approvals: undefined as never,
    policy: undefined as never,
    audit: undefined as never,
    subscriptions: undefined as never,
    retirement: RETIREMENT_DEFAULTS,
  };
  dispatcher = new Dispatcher(deps, new MemoryStorage());
});

async function say(text: string): Promise<Reply> {
  const replies = await dispatcher.handle({
    user: { id: 'u-alex', name: 'Alex Wilber' },
    conversation: { id: 'c-1', type: 'personal' },
    text,
    attachments: [],
    correlationId: 'corr',
    receivedAt: NOW,
  });
  expect(replies).toHaveLength(1);
  return replies[0];
}

describe('retirement', () => {
  it('should answer one page of 15, longest idle first, with the counts of all', async () => {
    const reply = (await say('retirement')) as Extract<Reply, { kind: 'retirement' }>;
    expect(reply.kind).toBe('retirement');
    expect(reply).toMatchObject({ page: 1, pages: 8, total: 120 });
    expect(reply.retirement).toMatchObject({ phase: 'frozen', daysLeft: 138, runtimes: 120 });
    expect(reply.rows.map((r) => r.name)).toEqual(
      Array.from({ length: RETIREMENT_PAGE_SIZE }, (_, i) => `rt-${String(119 - i).padStart(3, '0')}`),
    );
    // Idle 7 days or more: stop (113 of them); the 7 used within the week: export.
    expect(reply.steps).toEqual({ stop: 113, export: 7, migrate: 0 });
    expect(reply.stoppable).toEqual(reply.rows.map((r) => r.name));
  });

  it('should answer the last page, and refuse one past it', async () => {
    const last = (await say('retirement --page 8')) as Extract<Reply, { kind: 'retirement' }>;
    expect(last.rows.map((r) => r.name).at(-1)).toBe('rt-000');
    expect(last.rows).toHaveLength(120 - 7 * RETIREMENT_PAGE_SIZE);
    const past = await say('retirement --page 9');
    expect(withMarkup(past)).toMatchObject({ kind: 'error', text: 'There are only 8 pages.' });
    expect(withMarkup(await say('retirement --page 0'))).toMatchObject({ kind: 'error', text: '--page starts at 1.' });
    expect(await say('retirement --page two')).toMatchObject({
      kind: 'error',
      usage: 'retirement [--page N] [--export]',
    });
  });

  it('should offer Stop only where the viewer may stop, and not on a runtime with a change running', async () => {
    allowed = (r) => r.name !== 'rt-118';
    all[117] = {
      ...all[117],
      activeOperation: {
        id: 'op',
        kind: 'install',
        status: 'Running',
        requestedBy: { objectId: 'x' },
        createdOn: daysAgo(0),
      },
    };
    const reply = (await say('retirement')) as Extract<Reply, { kind: 'retirement' }>;
    expect(reply.rows.slice(0, 3).map((r) => r.name)).toEqual(['rt-119', 'rt-118', 'rt-117']);
    expect(reply.stoppable).toContain('rt-119');
    expect(reply.stoppable).not.toContain('rt-118');
    expect(reply.stoppable).not.toContain('rt-117');
  });

  it('should export pages of 50 JSON lines, the same order as the card', async () => {
    const first = (await say('retirement --export')) as Extract<Reply, { kind: 'retirementExport' }>;
    expect(first).toMatchObject({ kind: 'retirementExport', page: 1, pages: 3, total: 120 });
    expect(first.lines).toHaveLength(EXPORT_PAGE_SIZE);
    const parsed = first.lines.map((l) => JSON.parse(l));
    expect(parsed[0]).toEqual({
      name: 'rt-119',
      type: 'automatic',
      status: 'Running',
      owner: 'Adele Vance', // 119 % 3 = 2
      ownerObjectId: 'oid-2',
      lastUsedOn: daysAgo(119),
      idleSince: daysAgo(119),
      idleDays: 119,
      nextStep: 'stop',
      advice: 'Unused for 119 days: stop it.',
      imageVersion: null,
    });
    const third = (await say('retirement --export --page 3')) as Extract<Reply, { kind: 'retirementExport' }>;
    expect(third.lines).toHaveLength(20);
    expect(JSON.parse(third.lines.at(-1)!).name).toBe('rt-000');
  });

  it('should say so when there is nothing to export', async () => {
    all = [];
    expect(await say('retirement --export')).toMatchObject({ kind: 'retirementExport', lines: [], total: 0 });
    expect(await say('retirement')).toMatchObject({ kind: 'retirement', rows: [], pages: 1, total: 0 });
  });
});
