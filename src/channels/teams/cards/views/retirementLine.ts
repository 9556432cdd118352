/**
 * The retirement line other cards carry (summary, digest, versions, help, welcome): the words come
 * from the core, shared with the markdown answers; this only picks the emphasis.
 */
import type { RetirementStatus } from '../../../../core/replies';
import {
  afterRetirement,
  imagesLine,
  retirementHeadline,
  retirementOneLiner,
  runtimesLeft,
} from '../../../../core/retirement/retirementText';
import type { TextColor } from './common';

export interface RetirementLineData {
  show: boolean;
  headline: string;
  detail: string;
  /** Text colour where the line stands alone (help, welcome); inside its coloured container it is plain. */
  color: TextColor;
  /** Container style: warning while time is left, attention in the last month and after. */
  style: 'warning' | 'attention';
}

const HIDDEN: RetirementLineData = { show: false, headline: '—', detail: '—', color: 'Default', style: 'warning' };

function urgent(s: RetirementStatus): boolean {
  return s.phase === 'retired' || s.daysLeft <= 30;
}

function line(s: RetirementStatus, headline: string, detail: string): RetirementLineData {
  return {
    show: true,
    headline,
    detail,
    color: urgent(s) ? 'Attention' : 'Warning',
    style: urgent(s) ? 'attention' : 'warning',
  };
}

/** Summary and digest: days left and runtimes still there; after the day, what works and what does not. */
export function summaryRetirement(s: RetirementStatus | undefined): RetirementLineData {
  if (!s) return HIDDEN;
  const headline = [retirementHeadline(s), runtimesLeft(s)].filter(Boolean).join(' ');
  if (s.phase === 'retired') {
    const { works, gone } = afterRetirement();
    return line(s, headline, `${works} ${gone}`);
  }
  return line(
    s,
    headline,
    "Say retirement for each runtime's next step: stop it, export its flow, or move it to Microsoft Agent Framework.",
  );
}

/** Versions and the version check: the images are frozen, and since when. */
export function imagesRetirement(s: RetirementStatus | undefined): RetirementLineData {
  if (!s) return HIDDEN;
  return line(s, imagesLine(s), retirementHeadline(s));
}

/** Help and welcome: one line. */
export function oneLineRetirement(s: RetirementStatus | undefined): RetirementLineData {
  if (!s) return HIDDEN;
  return line(s, retirementOneLiner(s), '—');
}
