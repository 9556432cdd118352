/**
 * Routes a card action to its handler. Clicks that change runtimes are deduplicated like typed
 * commands: a double click, or a retried invoke, shows the operation the first click started.
 */
import { AppError } from '../errors';
import type { Storage } from '../storage/storage';
import { ACTIONS } from './actions/registry';
import type { CardAction, CardActionRequest } from './actions/types';
import type { CommandDeps } from './commands/types';
import { DuplicateGuard, outcomeOf } from './dedupe';
import { errorText } from './errorText';
import { operationTitle } from './operationTitle';
import type { Reply } from './replies';
import { labelTurn } from '../telemetry/turnLabel';
import { code, t, text } from './text';

export class ActionRouter {
  private readonly guard: DuplicateGuard;

  constructor(
    private readonly deps: CommandDeps,
    storage: Storage,
    private readonly actions: readonly CardAction[] = ACTIONS,
  ) {
    this.guard = new DuplicateGuard(storage, 'recent-actions');
  }

  async handle(request: CardActionRequest): Promise<Reply> {
    const log = this.deps.log.child({
      correlationId: request.correlationId,
      user: request.user.id,
      verb: request.verb,
    });
    const action = this.actions.find((a) => a.verb === request.verb);
    if (!action) {
      log.warn('unknown card action');
      return {
        kind: 'error',
        text: t`This card is out of date or came from another app. Say ${code('help')} to start again.`,
      };
    }
    labelTurn({ verb: action.verb });
    let idempotencyKey = request.correlationId;
    let key: string | undefined;
    // One try around everything that reads the client's data: nothing it sends may escape as a turn error.
    try {
      if (action.sideEffects) {
        key = DuplicateGuard.key(
          request.conversation.id,
          request.messageId ?? '',
          request.user.id,
          request.verb,
          canonical(request.data),
        );
        const claim = await this.guard.claim(key, request.receivedAt);
        if (!claim.fresh) {
          key = undefined; // the first click owns the claim: never release it from here
          log.info('duplicate card action', { operationId: claim.operationId, approvalId: claim.approvalId });
          if (claim.approvalId) return await this.deps.approvals.show(claim.approvalId, request.user);
          if (!claim.operationId) return { kind: 'text', text: text('I am already working on that click.') };
          const operation = await this.deps.client.getOperation(claim.operationId);
          return { kind: 'operation', operation, title: operationTitle(operation) };
        }
        idempotencyKey = claim.idempotencyKey;
      }
      const reply = await action.run({
        request,
        deps: { ...this.deps, log },
        actor: { objectId: request.user.id, ...(request.user.name ? { name: request.user.name } : {}) },
        idempotencyKey,
      });
      // A vote on an approval is not a request to show again; any other approval reply is.
      if (key)
        await this.guard.settle(key, outcomeOf([reply], !request.verb.startsWith('approval.')), this.deps.clock.now());
      log.info('card action handled', { reply: reply.kind });
      return reply;
    } catch (error) {
      if (key) await this.guard.release(key, this.deps.clock.now());
      if (error instanceof AppError) log.info('card action rejected', { code: error.code, detail: error.message });
      else log.error('card action failed', { error });
      return { kind: 'error', text: errorText(error, request.correlationId) };
    }
  }
}

/**
 * Stable text of the action data, so the same click always gives the same key. The client chooses the
 * data's shape, so the walk is bounded: past a depth or a width, two hostile payloads may share a key,
 * which only makes the second look like a repeat of the first.
 */
function canonical(value: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) return '"…"';
  if (Array.isArray(value)) return `[${value.slice(0, MAX_ITEMS).map((v) => canonical(v, depth + 1))}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort().slice(0, MAX_ITEMS);
    const record = value as Record<string, unknown>;
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(record[k], depth + 1)}`)}}`;
  }
  return (JSON.stringify(value) ?? 'null').slice(0, 200_000);
}

const MAX_DEPTH = 10;
const MAX_ITEMS = 200;
