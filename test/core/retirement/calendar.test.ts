/**
 * The retirement calendar: days left counted in UTC calendar days, the three phases, and which
 * notice is due (90, 30, 7, 1 days before; a late start sends only the latest).
 */
import { describe, expect, it } from 'vitest';
import { RETIREMENT_DEFAULTS } from '../../../src/config';
import { daysUntil, dueNotice, retirementStatus } from '../../../src/core/retirement/calendar';

const at = (iso: string) => Date.parse(iso);

describe('daysUntil', () => {
  it.each([
    ['2026-12-03T11:00:00Z', 138],
    ['2027-04-19T00:00:00Z', 1],
    ['2027-04-19T23:59:59Z', 1],
    ['2027-04-20T00:00:00Z', 0],
    ['2027-04-21T12:00:00Z', 0],
    ['2027-01-20T00:00:00Z', 90],
    ['2027-01-19T23:59:59Z', 91],
  ])('should count %s as %i days before 2027-04-20', (now, days) => {
    expect(daysUntil('2027-04-20', at(now))).toBe(days);
  });
});

describe('retirementStatus', () => {
  it.each([
    ['2026-01-01T00:00:00Z', 'announced'],
    ['2026-04-19T23:59:59Z', 'announced'],
    ['2026-04-20T00:00:00Z', 'frozen'],
    ['2026-12-03T11:00:00Z', 'frozen'],
    ['2027-04-19T23:59:59Z', 'frozen'],
    ['2027-04-20T00:00:00Z', 'retired'],
  ])('should be in the right phase at %s: %s', (now, phase) => {
    expect(retirementStatus(RETIREMENT_DEFAULTS, at(now)).phase).toBe(phase);
  });

  it('should carry the calendar, the days left and the runtime count when given', () => {
    expect(retirementStatus(RETIREMENT_DEFAULTS, at('2026-12-03T11:00:00Z'), 12)).toEqual({
      phase: 'frozen',
      retiresOn: '2027-04-20',
      featureFreezeOn: '2026-04-20',
      lastImage: '20251211.v2',
      daysLeft: 138,
      runtimes: 12,
    });
    expect(retirementStatus(RETIREMENT_DEFAULTS, at('2026-12-03T11:00:00Z'))).not.toHaveProperty('runtimes');
  });

  it('should follow a moved date', () => {
    const moved = { ...RETIREMENT_DEFAULTS, retiresOn: '2027-10-20' };
    expect(retirementStatus(moved, at('2027-04-20T00:00:00Z'))).toMatchObject({ phase: 'frozen', daysLeft: 183 });
  });
});

describe('dueNotice', () => {
  it.each([
    ['2026-12-03T11:00:00Z', undefined], // 138 days
    ['2027-01-19T23:59:59Z', undefined], // 91 days
    ['2027-01-20T00:00:00Z', 90],
    ['2027-03-20T00:00:00Z', 90], // 31 days: still the 90-day notice
    ['2027-03-21T00:00:00Z', 30],
    ['2027-04-13T00:00:00Z', 7],
    ['2027-04-19T00:00:00Z', 1],
    ['2027-04-19T23:59:59Z', 1],
    ['2027-04-20T00:00:00Z', undefined],
    ['2028-01-01T00:00:00Z', undefined],
  ])('at %s the due notice is %s days', (now, days) => {
    expect(dueNotice(RETIREMENT_DEFAULTS, at(now))).toBe(days);
  });
});
