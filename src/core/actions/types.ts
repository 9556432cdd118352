/**
 * Card actions: one file per Action.Execute verb. Like commands, they take a channel-free request
 * and return a view model; the edge renders it as the card that replaces the clicked one.
 */
import type { Person } from '../../domain/runtime';
import { AppError, ErrorCode } from '../../errors';
import { type ChangeContext, changeContextOf } from '../changes';
import type { CommandDeps } from '../commands/types';
import type { Reply } from '../replies';
import type { ChatConversation, ChatUser } from '../request';

export interface CardActionRequest {
  user: ChatUser;
  conversation: ChatConversation;
  verb: string;
  /** The action's data merged with the card's inputs, as the client sent them: untrusted. */
  data: Record<string, unknown>;
  /** The message that holds the card, when the channel says. */
  messageId?: string;
  correlationId: string;
  receivedAt: number;
}

export interface ActionContext {
  request: CardActionRequest;
  deps: CommandDeps;
  actor: Person;
  idempotencyKey: string;
}

export interface CardAction {
  verb: string;
  sideEffects: boolean;
  run(ctx: ActionContext): Promise<Reply>;
}

const MAX_FIELD = 100_000;

/** A data field as text; numbers and booleans are accepted as typed by some clients. */
export function field(ctx: ActionContext, name: string): string | undefined {
  const value = ctx.request.data[name];
  if (typeof value === 'string') return value.length > MAX_FIELD ? value.slice(0, MAX_FIELD) : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function requiredField(ctx: ActionContext, name: string): string {
  const value = field(ctx, name)?.trim();
  if (!value)
    throw new AppError(
      ErrorCode.BadRequest,
      `This card is missing ${name}; it may be out of date. Say \`help\` to start again.`,
    );
  return value;
}

/** Every form field the user filled, as text, for echoing back into a form with errors. */
export function formValues(ctx: ActionContext, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, field(ctx, n) ?? '']));
}

/** The change context of a clicked action. */
export const changeContext = (ctx: ActionContext): ChangeContext => changeContextOf(ctx);
