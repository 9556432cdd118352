/**
 * The inventory's rows: idle time from the last sign of use, and the next step (stop what is idle or
 * broken, export what is in use, move what serves an endpoint; after the day, stop everything).
 */
import { describe, expect, it } from 'vitest';
import { byIdleness, countSteps, IDLE_DAYS, inventoryRow } from '../../../src/core/retirement/inventory';
import type { Runtime } from '../../../src/domain/runtime';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const daysAgo = (n: number) => new Date(NOW - n * 86_400_000).toISOString();

function runtime(over: Partial<Runtime> = {}): Runtime {
  return {
    name: 'rt',
    type: 'automatic',
    status: 'Running',
    outdated: false,
    owner: { objectId: 'oid-alex', name: 'Alex Wilber' },
    createdOn: daysAgo(100),
    modifiedOn: daysAgo(50),
    ...over,
  };
}

describe('inventoryRow', () => {
  it('should measure idleness from the last use, else the last operation, else the last change', () => {
    expect(inventoryRow(runtime({ lastUsedOn: daysAgo(2) }), NOW, 'frozen')).toMatchObject({
      idleDays: 2,
      lastUsedOn: daysAgo(2),
      idleSince: daysAgo(2),
    });
    const ended = runtime({
      lastOperation: {
        id: 'op',
        kind: 'install',
        status: 'Succeeded',
        requestedBy: { objectId: 'x' },
        createdOn: daysAgo(4),
        endedOn: daysAgo(3),
      },
    });
    expect(inventoryRow(ended, NOW, 'frozen')).toMatchObject({ idleDays: 3, idleSince: daysAgo(3) });
    const row = inventoryRow(runtime(), NOW, 'frozen');
    expect(row).toMatchObject({ idleDays: 50, idleSince: daysAgo(50) });
    expect(row).not.toHaveProperty('lastUsedOn');
  });

  it(`should suggest stopping a runtime unused for ${IDLE_DAYS} days or more, and not one used the day before`, () => {
    expect(inventoryRow(runtime({ lastUsedOn: daysAgo(IDLE_DAYS) }), NOW, 'frozen')).toMatchObject({
      next: 'stop',
      advice: `Unused for ${IDLE_DAYS} days: stop it.`,
    });
    expect(inventoryRow(runtime({ lastUsedOn: daysAgo(IDLE_DAYS - 1) }), NOW, 'frozen').next).toBe('export');
  });

  it.each([
    ['Failed', 'It failed'],
    ['Unavailable', 'It is unavailable'],
  ])('should suggest stopping a %s runtime, after exporting its flow if needed', (status, start) => {
    const row = inventoryRow(runtime({ status, lastUsedOn: daysAgo(0) }), NOW, 'frozen');
    expect(row.next).toBe('stop');
    expect(row.advice).toMatch(new RegExp(`^${start}: export its flow`));
  });

  it('should suggest exporting the flow of a runtime in use, and moving an endpoint in use to Agent Framework', () => {
    expect(inventoryRow(runtime({ lastUsedOn: daysAgo(1) }), NOW, 'frozen')).toMatchObject({
      next: 'export',
      advice: expect.stringContaining('Microsoft Agent Framework'),
    });
    const endpoint = runtime({ type: 'managedOnlineDeployment', lastUsedOn: daysAgo(1) });
    expect(inventoryRow(endpoint, NOW, 'frozen')).toMatchObject({
      next: 'migrate',
      advice: expect.stringContaining('move the traffic'),
    });
  });

  it('should suggest stopping everything once prompt flow has retired', () => {
    const row = inventoryRow(runtime({ type: 'managedOnlineDeployment', lastUsedOn: daysAgo(0) }), NOW, 'retired');
    expect(row.next).toBe('stop');
    expect(row.advice).toContain('Prompt flow has retired');
  });

  it('should mark a runtime with a change in progress as busy', () => {
    const busy = runtime({
      activeOperation: {
        id: 'op',
        kind: 'reset',
        status: 'Running',
        requestedBy: { objectId: 'x' },
        createdOn: daysAgo(0),
      },
    });
    expect(inventoryRow(busy, NOW, 'frozen').busy).toBe(true);
    expect(inventoryRow(runtime(), NOW, 'frozen').busy).toBe(false);
  });

  it('should not fail on an unreadable date: idle 0 days', () => {
    expect(inventoryRow(runtime({ lastUsedOn: 'soon' }), NOW, 'frozen').idleDays).toBe(0);
  });
});

describe('ordering and counts', () => {
  it('should put the longest idle first, ties by name, whatever the date format', () => {
    const rows = [
      runtime({ name: 'b', lastUsedOn: daysAgo(1) }),
      runtime({ name: 'c', lastUsedOn: '2026-11-01T00:00:00Z' }),
      runtime({ name: 'a', lastUsedOn: '2026-11-01T00:00:00.000Z' }),
    ].map((r) => inventoryRow(r, NOW, 'frozen'));
    expect(rows.sort(byIdleness).map((r) => r.name)).toEqual(['a', 'c', 'b']);
  });

  it('should count the rows of each step', () => {
    const rows = [
      runtime({ lastUsedOn: daysAgo(30) }),
      runtime({ status: 'Failed', lastUsedOn: daysAgo(0) }),
      runtime({ lastUsedOn: daysAgo(0) }),
      runtime({ type: 'managedOnlineDeployment', lastUsedOn: daysAgo(0) }),
    ].map((r) => inventoryRow(r, NOW, 'frozen'));
    expect(countSteps(rows)).toEqual({ stop: 2, export: 1, migrate: 1 });
  });
});
