/**
 * The retirement in words, once, for every channel: the Teams cards and the markdown answers say the
 * same sentences. Plain text: the renderers escape or place it as they do any other text.
 */
import type { RetirementStatus } from './calendar';

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** "20 April 2027": unambiguous in every locale, unlike 04/20/2027. */
export function longDate(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return `${d} ${MONTHS[m - 1]} ${y}`;
}

const days = (n: number) => `${n} ${n === 1 ? 'day' : 'days'}`;

/** "Prompt flow retires on 20 April 2027: 138 days left." or "Prompt flow retired on 20 April 2027." */
export function retirementHeadline(s: RetirementStatus): string {
  return s.phase === 'retired'
    ? `Prompt flow retired on ${longDate(s.retiresOn)}.`
    : `Prompt flow retires on ${longDate(s.retiresOn)}: ${days(s.daysLeft)} left.`;
}

/** "5 runtimes still exist." when the count is known. */
export function runtimesLeft(s: RetirementStatus): string | undefined {
  if (s.runtimes === undefined) return undefined;
  if (s.runtimes === 0) return 'No runtime is left.';
  return s.runtimes === 1 ? '1 runtime still exists.' : `${s.runtimes} runtimes still exist.`;
}

/** The one line of help and the welcome card. */
export function retirementOneLiner(s: RetirementStatus): string {
  return s.phase === 'retired'
    ? `Prompt flow in Azure Machine Learning retired on ${longDate(s.retiresOn)}: say retirement for what still works.`
    : `Prompt flow in Azure Machine Learning retires on ${longDate(s.retiresOn)} (${days(s.daysLeft)} left): say retirement for your runtimes and the move to Microsoft Agent Framework.`;
}

/** What the day means, before it comes. */
export const WHAT_HAPPENS =
  'On that day prompt flow in Azure Machine Learning and Foundry goes read-only: its runtimes, compute sessions, images and studio pages go away. The way forward is Microsoft Agent Framework.';

/** The base images' state, for the versions cards. */
export function imagesLine(s: RetirementStatus): string {
  switch (s.phase) {
    case 'announced':
      return `Prompt flow stops feature development on ${longDate(s.featureFreezeOn)}: its runtime images get no updates after that.`;
    case 'frozen':
      return `The runtime images are frozen since ${longDate(s.featureFreezeOn)}: no more updates, security fixes included. ${s.lastImage} is the last image.`;
    case 'retired':
      return `Prompt flow retired on ${longDate(s.retiresOn)}: its runtime images are gone; ${s.lastImage} was the last.`;
  }
}

/** After the day: what still works… */
export const STILL_WORKS = [
  'the local emulator, with every command',
  'the audit trail (audit, audit --export)',
  'exports (retirement --export)',
] as const;

/** …and what does not. */
export const NO_LONGER_WORKS = [
  'Azure Machine Learning prompt flow runtimes and compute sessions',
  'the prompt flow pages of the studio',
  'new runtime images',
] as const;

/** The two lists as sentences. */
export function afterRetirement(): { works: string; gone: string } {
  return {
    works: `Still works: ${STILL_WORKS.join('; ')}.`,
    gone: `No longer works: ${NO_LONGER_WORKS.join('; ')}.`,
  };
}
