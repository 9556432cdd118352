/** Teams' rate limits for a bot's sends, given to the core's outbox through the sender port. */
import type { Window } from '../../core/notifications/rateLimiter';

/** Per conversation: 7 in 1 s, 8 in 2 s, 60 in 30 s (teams-and-botframework.md). */
export const TEAMS_CONVERSATION_WINDOWS: readonly Window[] = [
  { limit: 7, ms: 1000 },
  { limit: 8, ms: 2000 },
  { limit: 60, ms: 30_000 },
];
