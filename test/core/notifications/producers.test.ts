/**
 * The producers: which service events call for a notification and what it says, the idle-warning
 * window, and the daily digest's schedule.
 */
import { describe, expect, it } from 'vitest';
import type { RuntimeClient } from '../../../src/client/runtimeClient';
import { iso } from '../../../src/clock';
import { RETIREMENT_DEFAULTS } from '../../../src/config';
import { dailyDigest, fromEvent, idleWarnings } from '../../../src/core/notifications/producers';
import { buildSummary } from '../../../src/domain/summary';
import type { Reply } from '../../../src/core/replies';
import type {
  OperationSummary,
  Runtime,
  ServiceEvent,
  ServiceEventType,
  VersionsReport,
} from '../../../src/domain/runtime';

const NOW = Date.parse('2026-11-23T09:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const ALEX = { objectId: 'u-alex', name: 'Alex Wilber' };
const SYSTEM = { objectId: 'system', name: 'Runtime service' };

const REPORT: VersionsReport = {
  repository: 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable',
  latest: '20261120.v1',
  versions: [
    { tag: '20260101.v1', notes: 'old', publishedOn: '2026-01-01T00:00:00Z' },
    { tag: '20260601.v2', notes: 'middle', publishedOn: '2026-06-01T00:00:00Z' },
    { tag: '20261001.v1', notes: 'previous latest', publishedOn: '2026-10-01T00:00:00Z' },
    { tag: '20261120.v1', notes: 'Python 3.12', publishedOn: '2026-11-20T00:00:00Z' },
  ],
  outdated: [
    { name: 'chat-dev', type: 'automatic', imageVersion: '20261001.v1', newer: ['20261120.v1'] },
    {
      name: 'rag-eval',
      type: 'automatic',
      imageVersion: '20260101.v1',
      newer: ['20260601.v2', '20261001.v1', '20261120.v1'],
    },
  ],
};

/** A client with only what the producers call; counts the calls. */
function fakeClient(report: VersionsReport = REPORT): RuntimeClient & { calls: number } {
  const client = {
    calls: 0,
    async versions() {
      client.calls++;
      return report;
    },
  };
  return client as unknown as RuntimeClient & { calls: number };
}

let seq = 0;
function event(type: ServiceEventType, data: Record<string, unknown>, time = iso(NOW)): ServiceEvent {
  return { id: String(++seq).padStart(12, '0'), type, time, data };
}

function op(extra: Partial<OperationSummary> = {}): OperationSummary {
  return {
    id: 'op-7f3a',
    kind: 'install',
    status: 'Failed',
    requestedBy: ALEX,
    createdOn: iso(NOW - 5 * MIN),
    endedOn: iso(NOW - MIN),
    error: {
      code: 'PackageInstallFailed',
      message: 'pip install -r requirements.txt failed',
      details: 'ERROR: no numpy==0.0.1',
    },
    ...extra,
  };
}

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

const alertOf = (reply: Reply) => {
  if (reply.kind !== 'alert') throw new Error(`expected an alert, got ${reply.kind}`);
  return reply.alert;
};

describe('fromEvent: image.released', () => {
  it('should announce a new latest version with the notice and only the relevant versions', async () => {
    const client = fakeClient();
    const produced = await fromEvent(
      event('image.released', { tag: '20261120.v1', previousLatest: '20261001.v1', isLatest: true, repository: 'x' }),
      client,
    );
    expect(produced).toHaveLength(1);
    const [p] = produced;
    expect(p.id).toBe('version-20261120.v1');
    expect(p.topic).toBe('versions');
    expect(p.reply).toEqual({
      kind: 'versions',
      canUpgrade: true,
      notice: { tag: '20261120.v1', previousLatest: '20261001.v1' },
      report: { ...REPORT, versions: [REPORT.versions[3]] },
    });
    expect(client.calls).toBe(1);
  });

  it('should keep both the released tag and the current latest when they differ', async () => {
    const produced = await fromEvent(event('image.released', { tag: '20261001.v1', isLatest: true }), fakeClient());
    const reply = produced[0].reply as Extract<Reply, { kind: 'versions' }>;
    expect(reply.report.versions.map((v) => v.tag)).toEqual(['20261001.v1', '20261120.v1']);
    expect(reply.report.outdated).toEqual(REPORT.outdated);
    // No previous latest given: none in the notice.
    expect(reply.notice).toEqual({ tag: '20261001.v1' });
  });

  it('should say nothing about a version that is not the latest', async () => {
    const client = fakeClient();
    expect(await fromEvent(event('image.released', { tag: '20250101.v1', isLatest: false }), client)).toEqual([]);
    expect(await fromEvent(event('image.released', { tag: '20250101.v1' }), client)).toEqual([]);
    expect(client.calls).toBe(0);
  });

  it('should ignore a release without a tag', async () => {
    expect(await fromEvent(event('image.released', { isLatest: true }), fakeClient())).toEqual([]);
    expect(await fromEvent(event('image.released', { isLatest: true, tag: 42 }), fakeClient())).toEqual([]);
  });
});

describe('fromEvent: operation.completed', () => {
  it('should raise a failure alert with the reason, who asked, and Retry / Reset / View', async () => {
    const client = fakeClient();
    const produced = await fromEvent(
      event('operation.completed', { runtimeName: 'chat-dev', operation: op() }),
      client,
    );
    expect(produced).toEqual([
      {
        id: 'failure-op-7f3a',
        topic: 'failures',
        reply: {
          kind: 'alert',
          alert: {
            kind: 'failure',
            runtime: 'chat-dev',
            at: iso(NOW - MIN),
            reason: 'pip install -r requirements.txt failed\nERROR: no numpy==0.0.1',
            by: 'Alex Wilber',
            operationKind: 'install',
            actions: ['view', 'retry', 'reset'],
          },
        },
      },
    ]);
    expect(client.calls).toBe(0);
  });

  it('should clip a long reason to 1,500 characters and mark the cut', async () => {
    const details = 'x'.repeat(5000);
    const [p] = await fromEvent(
      event('operation.completed', {
        runtimeName: 'chat-dev',
        operation: op({ error: { code: 'E', message: 'm', details } }),
      }),
      fakeClient(),
    );
    const reason = alertOf(p.reply).reason!;
    expect(reason).toHaveLength(1501);
    expect(reason.startsWith('m\nxxx')).toBe(true);
    expect(reason.endsWith('x…')).toBe(true);
  });

  it('should keep a reason of exactly 1,500 characters whole', async () => {
    const message = 'y'.repeat(1500);
    const [p] = await fromEvent(
      event('operation.completed', { runtimeName: 'chat-dev', operation: op({ error: { code: 'E', message } }) }),
      fakeClient(),
    );
    expect(alertOf(p.reply).reason).toBe(message);
  });

  it('should say so when no reason was given, and fall back to the object id and creation time', async () => {
    const [p] = await fromEvent(
      event('operation.completed', {
        runtimeName: 'chat-dev',
        operation: op({ error: undefined, endedOn: undefined, requestedBy: { objectId: 'u-nameless' } }),
      }),
      fakeClient(),
    );
    expect(alertOf(p.reply)).toMatchObject({
      reason: 'No reason was given.',
      by: 'u-nameless',
      at: iso(NOW - 5 * MIN),
    });
  });

  it('should not offer Reset for a failed reset (Retry is the same thing)', async () => {
    const [p] = await fromEvent(
      event('operation.completed', { runtimeName: 'chat-dev', operation: op({ kind: 'reset' }) }),
      fakeClient(),
    );
    expect(alertOf(p.reply).actions).toEqual(['view', 'retry']);
    expect(alertOf(p.reply).operationKind).toBe('reset');
  });

  it('should announce a system stop that succeeded as an idle shutdown', async () => {
    const produced = await fromEvent(
      event('operation.completed', {
        runtimeName: 'chat-dev',
        operation: op({ id: 'op-idle', kind: 'stop', status: 'Succeeded', requestedBy: SYSTEM, error: undefined }),
      }),
      fakeClient(),
    );
    expect(produced).toEqual([
      {
        id: 'idle-stopped-op-idle',
        topic: 'idle',
        reply: {
          kind: 'alert',
          alert: { kind: 'idleStopped', runtime: 'chat-dev', at: iso(NOW - MIN), actions: [] },
        },
      },
    ]);
  });

  it("should use the event's time for an idle shutdown without an end time", async () => {
    const e = event(
      'operation.completed',
      {
        runtimeName: 'chat-dev',
        operation: op({ kind: 'stop', status: 'Succeeded', requestedBy: SYSTEM, endedOn: undefined, error: undefined }),
      },
      '2026-11-23T09:30:00.000Z',
    );
    const [p] = await fromEvent(e, fakeClient());
    expect(alertOf(p.reply).at).toBe('2026-11-23T09:30:00.000Z');
  });

  it.each([
    ['a user stop', op({ kind: 'stop', status: 'Succeeded', error: undefined })],
    ['a successful install', op({ status: 'Succeeded', error: undefined })],
    [
      'a system reset that succeeded',
      op({ kind: 'reset', status: 'Succeeded', requestedBy: SYSTEM, error: undefined }),
    ],
    ['an operation still running', op({ status: 'Running', error: undefined, endedOn: undefined })],
  ])('should say nothing about %s', async (_label, operation) => {
    expect(await fromEvent(event('operation.completed', { runtimeName: 'chat-dev', operation }), fakeClient())).toEqual(
      [],
    );
  });

  it('should ignore a completion without an operation or a runtime name', async () => {
    expect(await fromEvent(event('operation.completed', { runtimeName: 'chat-dev' }), fakeClient())).toEqual([]);
    expect(await fromEvent(event('operation.completed', { operation: op() }), fakeClient())).toEqual([]);
  });
});

describe('fromEvent: runtime.changed', () => {
  it('should raise a failure for a runtime that became unavailable without an operation', async () => {
    const e = event('runtime.changed', {
      runtimeName: 'ci-alex-runtime',
      status: 'Unavailable',
      message: 'compute instance stop',
    });
    expect(await fromEvent(e, fakeClient())).toEqual([
      {
        id: `unavailable-${e.id}`,
        topic: 'failures',
        reply: {
          kind: 'alert',
          alert: {
            kind: 'failure',
            runtime: 'ci-alex-runtime',
            at: e.time,
            reason: 'Unavailable: compute instance stop',
            actions: ['view'],
          },
        },
      },
    ]);
  });

  it('should raise one for Failed too, without a reason when the event has no message', async () => {
    const [p] = await fromEvent(event('runtime.changed', { runtimeName: 'chat-dev', status: 'Failed' }), fakeClient());
    expect(alertOf(p.reply)).not.toHaveProperty('reason');
    expect(alertOf(p.reply)).not.toHaveProperty('operationKind');
  });

  it('should say nothing when an operation of ours is behind the change', async () => {
    const e = event('runtime.changed', {
      runtimeName: 'chat-dev',
      status: 'Unavailable',
      operationId: 'op-1',
      message: 'Stopping',
    });
    expect(await fromEvent(e, fakeClient())).toEqual([]);
    const failed = event('runtime.changed', { runtimeName: 'chat-dev', status: 'Failed', operationId: 'op-2' });
    expect(await fromEvent(failed, fakeClient())).toEqual([]);
  });

  it.each(['Running', 'Starting', 'Stopped', 'Stopping'])('should say nothing about a change to %s', async (status) => {
    expect(await fromEvent(event('runtime.changed', { runtimeName: 'chat-dev', status }), fakeClient())).toEqual([]);
  });

  it('should say nothing about other events', async () => {
    expect(
      await fromEvent(event('runtime.deleted', { runtimeName: 'chat-dev', status: 'NotExist' }), fakeClient()),
    ).toEqual([]);
    expect(
      await fromEvent(event('operation.started', { runtimeName: 'chat-dev', operation: op() }), fakeClient()),
    ).toEqual([]);
  });

  it('should give two unavailable events two ids', async () => {
    const a = await fromEvent(event('runtime.changed', { runtimeName: 'x-rt', status: 'Unavailable' }), fakeClient());
    const b = await fromEvent(event('runtime.changed', { runtimeName: 'x-rt', status: 'Unavailable' }), fakeClient());
    expect(a[0].id).not.toBe(b[0].id);
  });
});

describe('idleWarnings', () => {
  const WINDOW = 15 * MIN;
  const at = (ms: number) => iso(NOW + ms);

  it('should warn about a runtime whose shutdown is exactly the window away', () => {
    const produced = idleWarnings([rt('edge', { idleShutdownAt: at(WINDOW) })], NOW, WINDOW);
    expect(produced).toEqual([
      {
        id: `idle-warning-edge-${NOW + WINDOW}`,
        topic: 'idle',
        reply: {
          kind: 'alert',
          alert: { kind: 'idleWarning', runtime: 'edge', at: at(WINDOW), actions: ['view', 'reset'] },
        },
      },
    ]);
  });

  it('should pick exactly the runtimes inside the window, idle and not busy', () => {
    const runtimes = [
      rt('later', { idleShutdownAt: at(WINDOW + 1) }),
      rt('inside', { idleShutdownAt: at(MIN) }),
      rt('just-inside', { idleShutdownAt: at(1) }),
      rt('now', { idleShutdownAt: at(0) }),
      rt('past', { idleShutdownAt: at(-MIN) }),
      rt('busy', {
        idleShutdownAt: at(MIN),
        activeOperation: { id: 'op', kind: 'install', status: 'Running', requestedBy: ALEX, createdOn: at(-MIN) },
      }),
      rt('no-idle', { type: 'computeInstance' }),
    ];
    expect(idleWarnings(runtimes, NOW, WINDOW).map((p) => p.id)).toEqual([
      `idle-warning-inside-${NOW + MIN}`,
      `idle-warning-just-inside-${NOW + 1}`,
    ]);
  });

  it('should give a new idle period a new id, and the same period the same id', () => {
    const first = idleWarnings([rt('a-rt', { idleShutdownAt: at(10 * MIN) })], NOW, WINDOW)[0].id;
    const again = idleWarnings([rt('a-rt', { idleShutdownAt: at(10 * MIN) })], NOW + 5 * MIN, WINDOW)[0].id;
    const later = idleWarnings([rt('a-rt', { idleShutdownAt: at(40 * MIN) })], NOW + 30 * MIN, WINDOW)[0].id;
    expect(again).toBe(first);
    expect(later).not.toBe(first);
  });

  it('should accept a shutdown time with fractions and still produce a valid id', () => {
    const [p] = idleWarnings([rt('frac', { idleShutdownAt: '2026-11-23T09:05:00.123Z' })], NOW, WINDOW);
    expect(p.id).toBe(`idle-warning-frac-${Date.parse('2026-11-23T09:05:00.123Z')}`);
    expect(p.id).toMatch(/^[A-Za-z0-9._-]{1,120}$/);
  });
});

describe('dailyDigest', () => {
  const day = (hhmm: string, date = '2026-11-23') => Date.parse(`${date}T${hhmm}:00Z`);
  // The service builds the summary; the digest passes it on.
  const runtimes = async () => buildSummary([rt('chat-dev'), rt('rag-eval', { status: 'Failed' })], day('08:00'));

  it('should not be due before its time', () => {
    expect(dailyDigest(runtimes, day('07:59'), '08:00')).toBeUndefined();
    expect(dailyDigest(runtimes, day('08:00') - 1, '08:00')).toBeUndefined();
  });

  it("should be due at its time, with today's id", async () => {
    const digest = dailyDigest(runtimes, day('08:00'), '08:00');
    expect(digest?.id).toBe('digest-2026-11-23');
    const p = await digest!.produce();
    expect(p.id).toBe('digest-2026-11-23');
    expect(p.topic).toBe('digest');
    expect(p.reply).toMatchObject({ kind: 'summary', title: 'Daily on-call digest' });
    const reply = p.reply as Extract<Reply, { kind: 'summary' }>;
    expect(reply.summary.total).toBe(2);
    expect(reply.summary.failing.map((f) => f.name)).toEqual(['rag-eval']);
    expect(reply.summary.generatedAt).toBe(iso(day('08:00')));
  });

  it('should carry the retirement line (days left, runtimes) when given the calendar, and none without', async () => {
    const digest = dailyDigest(runtimes, day('08:00'), '08:00', RETIREMENT_DEFAULTS);
    const reply = (await digest!.produce()).reply as Extract<Reply, { kind: 'summary' }>;
    expect(reply.retirement).toEqual({ ...RETIREMENT_DEFAULTS, phase: 'frozen', daysLeft: 148, runtimes: 2 });
    const plain = (await dailyDigest(runtimes, day('08:00'), '08:00')!.produce()).reply;
    expect(plain).not.toHaveProperty('retirement');
  });

  it('should stay due for 12 hours, then stop', () => {
    expect(dailyDigest(runtimes, day('14:30'), '08:00')?.id).toBe('digest-2026-11-23');
    expect(dailyDigest(runtimes, day('20:00'), '08:00')?.id).toBe('digest-2026-11-23');
    expect(dailyDigest(runtimes, day('20:00') + 1, '08:00')).toBeUndefined();
    expect(dailyDigest(runtimes, day('21:00'), '08:00')).toBeUndefined();
  });

  it('should be off without a digest time', () => {
    expect(dailyDigest(runtimes, day('08:00'), undefined)).toBeUndefined();
    expect(dailyDigest(runtimes, day('12:00'), undefined)).toBeUndefined();
  });

  it('should use the next day for the next digest', () => {
    expect(dailyDigest(runtimes, day('08:00', '2026-11-24'), '08:00')?.id).toBe('digest-2026-11-24');
    expect(dailyDigest(runtimes, day('00:00', '2026-12-31'), '00:00')?.id).toBe('digest-2026-12-31');
  });

  it('should not read the runtimes until the digest is produced', () => {
    let reads = 0;
    const counting = async () => {
      reads++;
      return buildSummary([], day('09:00'));
    };
    dailyDigest(counting, day('09:00'), '08:00');
    expect(reads).toBe(0);
  });

  // "until 12 hours later: a late start still sends it" (producers.ts). For a digest time late in
  // the UTC day, those 12 hours run past midnight.
  it('should still be due after midnight within 12 hours of a late digest time', () => {
    expect(dailyDigest(runtimes, day('23:30'), '23:00')?.id).toBe('digest-2026-11-23');
    expect(dailyDigest(runtimes, day('02:00', '2026-11-24'), '23:00')?.id).toBe('digest-2026-11-23');
  });
});
