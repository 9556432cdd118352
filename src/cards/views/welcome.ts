/** The welcome card: a greeting and three quick starts (status summary, list, create). */
import type { Reply } from '../../core/replies';
import { type AdaptiveCard, renderCard } from '../render';

type WelcomeReply = Extract<Reply, { kind: 'welcome' }>;

/** The welcome card is static: it has no data. */
export type WelcomeCardData = Record<string, never>;

export function welcomeCard(_reply: WelcomeReply = { kind: 'welcome' }): AdaptiveCard {
  const data: WelcomeCardData = {};
  return renderCard('welcome', data);
}
