/**
 * Middleware that drops activities from tenants that are not allowed. The SDK checks no tenant,
 * so a multi-tenant bot must. An empty allow-list admits every tenant.
 */
import type { Middleware, TurnContext } from '../sdk';
import type { Logger } from '../../../logger';
import { tenantOf } from '../activityMapper';
import { refuseActivity } from './refusal';

export function tenantGuard(allowed: string[], log: Logger): Middleware {
  const set = new Set(allowed.map((t) => t.toLowerCase()));
  return {
    async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
      if (set.size === 0) return next();
      const tenant = tenantOf(context.activity)?.toLowerCase();
      if (tenant && set.has(tenant)) return next();
      log.warn('activity from a tenant that is not allowed was dropped', { tenant, type: context.activity.type });
      await refuseActivity(context, 'This tenant may not use this bot.');
    },
  };
}
