/**
 * Middleware that drops activities from channels the bot is not built for. Only Teams vouches for
 * `from.aadObjectId` and the tenant, which authorization relies on; a Direct Line or Web Chat client
 * can put any id there, and a valid Bot Framework token only says which channel relayed it.
 */
import type { Middleware, TurnContext } from '../sdk';
import type { Logger } from '../../../logger';
import { refuseActivity } from './refusal';

/** Teams always; the Bot Framework Emulator only for local development, when authentication is off. */
export function allowedChannels(authenticated: boolean): string[] {
  return authenticated ? ['msteams'] : ['msteams', 'emulator'];
}

export function channelGuard(allowed: readonly string[], log: Logger): Middleware {
  return {
    async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
      const channelId: unknown = context.activity.channelId;
      if (typeof channelId === 'string' && allowed.includes(channelId)) return next();
      log.warn('activity from a channel the bot is not built for was dropped', {
        channelId: String(channelId).slice(0, 40),
        type: String(context.activity.type).slice(0, 40),
      });
      await refuseActivity(context, 'This bot works in Microsoft Teams only.');
    },
  };
}
