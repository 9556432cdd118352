/**
 * The command or card verb a turn ran, as the core names it. The core calls `labelTurn`; the bot's
 * turn span (botTurn.ts) reads it, so span names and metric labels say `status` or
 * `approval.approve` without the channel edge parsing any user text.
 */
import { context, createContextKey } from '@opentelemetry/api';

export interface TurnLabel {
  command?: string;
  verb?: string;
}

export const TURN_LABEL = createContextKey('promptflow.bot.turn-label');

/** Names what the current turn ran; a no-op outside a traced turn (and while telemetry is off). */
export function labelTurn(label: TurnLabel): void {
  const current = context.active().getValue(TURN_LABEL) as TurnLabel | undefined;
  if (current) Object.assign(current, label);
}
