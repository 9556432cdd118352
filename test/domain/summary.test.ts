/** buildSummary with crafted runtimes: what is failing and why, outdated, idle soon, busy, recent. */
import { describe, expect, it } from 'vitest';
import { iso } from '../../src/clock';
import { buildSummary, summaryValidUntil } from '../../src/domain/summary';
import type { OperationSummary, Runtime } from '../../src/domain/runtime';

const NOW = Date.parse('2026-11-23T09:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;

const ALEX = { objectId: 'u-alex', name: 'Alex Wilber' };
const MEGAN = { objectId: 'u-megan', name: 'Megan Bowen' };

function rt(name: string, extra: Partial<Runtime> = {}): Runtime {
  return {
    name,
    type: 'automatic',
    status: 'Running',
    outdated: false,
    owner: ALEX,
    createdOn: iso(NOW - 48 * HOUR),
    modifiedOn: iso(NOW - 48 * HOUR),
    ...extra,
  };
}

function op(extra: Partial<OperationSummary> = {}): OperationSummary {
  return {
    id: 'op-1',
    kind: 'reset',
    status: 'Succeeded',
    requestedBy: ALEX,
    createdOn: iso(NOW - 2 * HOUR),
    ...extra,
  };
}

describe('buildSummary', () => {
  it('should count runtimes by status', () => {
    const s = buildSummary(
      [
        rt('a'),
        rt('b'),
        rt('c', { status: 'Failed' }),
        rt('d', { status: 'Unavailable' }),
        rt('e', { status: 'Pending' }),
      ],
      NOW,
    );
    expect(s.total).toBe(5);
    expect(s.byStatus).toEqual({ Running: 2, Failed: 1, Unavailable: 1, Pending: 1 });
    expect(s.generatedAt).toBe('2026-11-23T09:00:00.000Z');
  });

  it('should be empty and quiet for no runtimes', () => {
    expect(buildSummary([], NOW)).toEqual({
      total: 0,
      byStatus: {},
      failing: [],
      outdated: [],
      idleSoon: [],
      busy: [],
      recent: [],
      latestVersion: undefined,
      generatedAt: iso(NOW),
    });
  });

  describe('failing', () => {
    it.each<[string, Partial<Runtime>, string]>([
      [
        "the first non-blank line of the error's details",
        {
          statusMessage: 'Package installation failed',
          error: {
            code: 'PackageInstallFailed',
            message: 'pip install failed',
            details: '\n  \nERROR: No matching distribution found for numpy==0.0.1\nERROR: second line',
          },
        },
        'ERROR: No matching distribution found for numpy==0.0.1',
      ],
      [
        "the error's message without details",
        { statusMessage: 'Start failed', error: { code: 'X', message: 'The image could not be pulled.' } },
        'The image could not be pulled.',
      ],
      [
        "the error's message when the details are blank",
        { error: { code: 'X', message: 'Start failed.', details: '  \n ' } },
        'Start failed.',
      ],
      [
        'the status message without an error',
        { statusMessage: 'Compute instance ci-adele-old is Stopped' },
        'Compute instance ci-adele-old is Stopped',
      ],
      ['a fallback when nothing explains it', {}, 'no reason given'],
    ])('should give %s as the reason', (_label, extra, reason) => {
      expect(buildSummary([rt('bad', { status: 'Failed', ...extra })], NOW).failing).toEqual([
        { name: 'bad', status: 'Failed', reason },
      ]);
    });

    it('should cut a very long reason to 300 characters', () => {
      const s = buildSummary(
        [rt('bad', { status: 'Failed', error: { code: 'X', message: 'm', details: `ERROR: ${'x'.repeat(1000)}` } })],
        NOW,
      );
      expect(s.failing[0].reason).toHaveLength(300);
    });

    it('should list Failed and Unavailable runtimes and nothing else', () => {
      const statuses = ['Running', 'Failed', 'Unavailable', 'Starting', 'Updating', 'Stopping', 'NotExist'];
      const s = buildSummary(
        statuses.map((status) => rt(`rt-${status.toLowerCase()}`, { status })),
        NOW,
      );
      expect(s.failing.map((f) => f.name)).toEqual(['rt-failed', 'rt-unavailable']);
    });
  });

  it('should list outdated runtimes with their version and take the latest version from them', () => {
    const s = buildSummary(
      [
        rt('new', { imageVersion: '20251211.v2', latestVersion: '20251211.v2' }),
        rt('old', { imageVersion: '20250831.v1', latestVersion: '20251211.v2', outdated: true }),
      ],
      NOW,
    );
    expect(s.outdated).toEqual([{ name: 'old', imageVersion: '20250831.v1', latestVersion: '20251211.v2' }]);
    expect(s.latestVersion).toBe('20251211.v2');
  });

  describe('idle shutdown within the hour', () => {
    it('should list the runtimes that stop within the hour, soonest first', () => {
      const s = buildSummary(
        [
          rt('in-50', { idleShutdownAt: iso(NOW + 50 * MIN) }),
          rt('in-10', { idleShutdownAt: iso(NOW + 10 * MIN) }),
          rt('in-60', { idleShutdownAt: iso(NOW + 60 * MIN) }),
          rt('in-61', { idleShutdownAt: iso(NOW + 61 * MIN) }),
          rt('in-5h', { idleShutdownAt: iso(NOW + 5 * HOUR) }),
          rt('never'),
        ],
        NOW,
      );
      expect(s.idleSoon).toEqual([
        { name: 'in-10', at: iso(NOW + 10 * MIN) },
        { name: 'in-50', at: iso(NOW + 50 * MIN) },
        { name: 'in-60', at: iso(NOW + 60 * MIN) },
      ]);
    });
  });

  it('should list runtimes with an operation in progress and who asked for it', () => {
    const s = buildSummary(
      [
        rt('busy', { activeOperation: op({ kind: 'install', status: 'Running', requestedBy: MEGAN }) }),
        rt('anon', { activeOperation: op({ requestedBy: { objectId: 'u-42' } }) }),
        rt('idle'),
      ],
      NOW,
    );
    expect(s.busy).toEqual([
      { name: 'busy', kind: 'install', by: 'Megan Bowen' },
      { name: 'anon', kind: 'reset', by: 'u-42' },
    ]);
  });

  describe('changed in the last 24 hours', () => {
    it('should list operations that ended in the last 24 hours, newest first', () => {
      const s = buildSummary(
        [
          rt('two-hours', { lastOperation: op({ kind: 'reset', endedOn: iso(NOW - 2 * HOUR) }) }),
          rt('ten-minutes', {
            lastOperation: op({ kind: 'install', status: 'Failed', requestedBy: MEGAN, endedOn: iso(NOW - 10 * MIN) }),
          }),
          rt('exactly-a-day', { lastOperation: op({ endedOn: iso(NOW - 24 * HOUR) }) }),
          rt('yesterday', { lastOperation: op({ endedOn: iso(NOW - 25 * HOUR) }) }),
          rt('not-ended', { lastOperation: op({ status: 'Running' }) }),
        ],
        NOW,
      );
      expect(s.recent).toEqual([
        { name: 'ten-minutes', kind: 'install', status: 'Failed', by: 'Megan Bowen', at: iso(NOW - 10 * MIN) },
        { name: 'two-hours', kind: 'reset', status: 'Succeeded', by: 'Alex Wilber', at: iso(NOW - 2 * HOUR) },
        { name: 'exactly-a-day', kind: 'reset', status: 'Succeeded', by: 'Alex Wilber', at: iso(NOW - 24 * HOUR) },
      ]);
    });

    it('should keep only the ten most recent changes', () => {
      const runtimes = Array.from({ length: 15 }, (_, i) =>
        rt(`rt-${String(i).padStart(2, '0')}`, { lastOperation: op({ endedOn: iso(NOW - i * MIN) }) }),
      );
      const s = buildSummary(runtimes, NOW);
      expect(s.recent.map((r) => r.name)).toEqual(runtimes.slice(0, 10).map((r) => r.name));
    });
  });
});

describe('summaryValidUntil', () => {
  const sections = (runtimes: Runtime[], at: number) => {
    const { generatedAt: _g, ...rest } = buildSummary(runtimes, at);
    return rest;
  };
  const runtimes = [
    rt('idle-in-90', { idleShutdownAt: iso(NOW + 90 * MIN) }), // enters the idle hour at NOW + 30 min
    rt('idle-in-20', { idleShutdownAt: iso(NOW + 20 * MIN) }), // in it already
    rt('ended-23h-ago', { lastOperation: op({ endedOn: iso(NOW - 23 * HOUR) }) }), // leaves at NOW + 1 h
    rt('ended-now', { lastOperation: op({ id: 'op-2', endedOn: iso(NOW) }) }),
  ];

  it('should end at the first moment a runtime enters or leaves a section', () => {
    const until = summaryValidUntil(runtimes, NOW, 10 * HOUR);
    expect(until).toBe(NOW + 30 * MIN);
    for (const t of [NOW, NOW + MIN, until - 1]) expect(sections(runtimes, t)).toEqual(sections(runtimes, NOW));
    expect(sections(runtimes, until)).not.toEqual(sections(runtimes, NOW));
    const next = summaryValidUntil(runtimes, until, 10 * HOUR);
    expect(next).toBe(NOW + HOUR + 1);
    expect(sections(runtimes, next - 1)).toEqual(sections(runtimes, until));
    expect(sections(runtimes, next)).not.toEqual(sections(runtimes, until));
  });

  it('should never be later than the maximum age', () => {
    expect(summaryValidUntil(runtimes, NOW, 30_000)).toBe(NOW + 30_000);
    expect(summaryValidUntil([], NOW, 30_000)).toBe(NOW + 30_000);
  });
});
