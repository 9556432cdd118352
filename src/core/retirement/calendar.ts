/**
 * Where prompt flow stands on its way out, on a given day: images frozen or not yet, days left before
 * it retires, or retired. Dates are UTC calendar days; the retirement happens at the start of its day.
 */
import type { RetirementConfig } from '../../config';

export type RetirementPhase = 'announced' | 'frozen' | 'retired';

/** What every retirement line shows: a view model, the same for every channel. */
export interface RetirementStatus {
  phase: RetirementPhase;
  retiresOn: string;
  featureFreezeOn: string;
  lastImage: string;
  /** Whole days until the retirement day begins (0 on and after it). */
  daysLeft: number;
  /** How many runtimes still exist, when the answer knows. */
  runtimes?: number;
}

/** The retirement notices go out when this many days are left (each once). */
export const NOTICE_DAYS = [90, 30, 7, 1] as const;

const DAY_MS = 86_400_000;

/** The instant a UTC calendar day (YYYY-MM-DD) begins. */
export function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

/** Days from `now` until `day` begins, rounded up: 1 all through the day before, 0 from the day on. */
export function daysUntil(day: string, now: number): number {
  return Math.max(0, Math.ceil((dayStart(day) - now) / DAY_MS));
}

export function retirementStatus(calendar: RetirementConfig, now: number, runtimes?: number): RetirementStatus {
  const daysLeft = daysUntil(calendar.retiresOn, now);
  const phase: RetirementPhase =
    now >= dayStart(calendar.retiresOn)
      ? 'retired'
      : now >= dayStart(calendar.featureFreezeOn)
        ? 'frozen'
        : 'announced';
  return {
    phase,
    retiresOn: calendar.retiresOn,
    featureFreezeOn: calendar.featureFreezeOn,
    lastImage: calendar.lastImage,
    daysLeft,
    ...(runtimes !== undefined ? { runtimes } : {}),
  };
}

/**
 * The notice due now: the nearest threshold that has been reached (90, 30, 7 or 1 days left), or none
 * before 90 days and from the retirement day on. A bot that starts late sends only the latest one.
 */
export function dueNotice(calendar: RetirementConfig, now: number): number | undefined {
  const left = daysUntil(calendar.retiresOn, now);
  if (left <= 0) return undefined;
  return [...NOTICE_DAYS].reverse().find((days) => left <= days);
}
