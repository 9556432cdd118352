/**
 * The welcome card: a greeting, three quick starts (status summary, list, create) and the line that
 * says prompt flow is retiring.
 */
import type { Reply } from '../../../../core/replies';
import { type AdaptiveCard, renderCard } from '../render';
import { oneLineRetirement, type RetirementLineData } from './retirementLine';

type WelcomeReply = Extract<Reply, { kind: 'welcome' }>;

export interface WelcomeCardData {
  retirement: RetirementLineData;
}

export function welcomeCard(reply: WelcomeReply = { kind: 'welcome' }): AdaptiveCard {
  const data: WelcomeCardData = { retirement: oneLineRetirement(reply.retirement) };
  return renderCard('welcome', data);
}
