/**
 * A change to a runtime, as commands and card actions ask for it. Where it goes next is the
 * ChangeRequester's business: straight to the runtime service, or first to an approval.
 */
import type { RuntimeClient } from '../client/runtimeClient';
import type { OperationKind, Person } from '../domain/runtime';
import { operationTitle } from './operationTitle';
import type { Reply } from './replies';
import type { ChatConversation, ChatUser } from './request';

export interface Change {
  kind: OperationKind;
  runtimeName: string;
  /** The request body as the runtime service takes it (may hold a feed token: never stored in clear). */
  body: Record<string, unknown>;
  /** The runtime's ETag when the user read it, for edits. */
  ifMatch?: string;
}

export interface ChangeContext {
  user: ChatUser;
  conversation: ChatConversation;
  actor: Person;
  idempotencyKey: string;
  correlationId: string;
}

/** Who asks and where, from a command's or a card action's context: both have the same parts. */
export function changeContextOf(ctx: {
  request: { user: ChatUser; conversation: ChatConversation; correlationId: string };
  actor: Person;
  idempotencyKey: string;
}): ChangeContext {
  return {
    user: ctx.request.user,
    conversation: ctx.request.conversation,
    actor: ctx.actor,
    idempotencyKey: ctx.idempotencyKey,
    correlationId: ctx.request.correlationId,
  };
}

export interface ChangeRequester {
  submit(change: Change, ctx: ChangeContext): Promise<Reply>;
}

/** Runs a change on the runtime service now. */
export async function runChange(
  client: RuntimeClient,
  change: Change,
  actor: Person,
  idempotencyKey: string,
): Promise<Reply> {
  const operation = await client.change(change.kind, change.runtimeName, change.body, actor, {
    idempotencyKey,
    ...(change.ifMatch ? { ifMatch: change.ifMatch } : {}),
  });
  return { kind: 'operation', operation, title: operationTitle(operation) };
}

/** No policy: every change runs at once. */
export function directChanges(client: RuntimeClient): ChangeRequester {
  return { submit: (change, ctx) => runChange(client, change, ctx.actor, ctx.idempotencyKey) };
}
