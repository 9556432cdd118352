/**
 * One correlation id per turn, created before anything else runs, so that the reply, every log line
 * of the turn, and the turn-error handler all name the same id.
 */
import { randomUUID } from 'node:crypto';
import type { Middleware, TurnContext } from '../sdk';

const KEY = Symbol('correlationId');

export const correlation: Middleware = {
  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    context.turnState.set(KEY, randomUUID());
    await next();
  },
};

export function correlationIdOf(context: TurnContext): string {
  return (context.turnState.get(KEY) as string | undefined) ?? randomUUID();
}
