/**
 * Routes one chat message to its command and turns every outcome into replies. Commands that
 * change runtimes are deduplicated on a business key (conversation, user, text): chat channels
 * redeliver slow messages, sometimes under a new message id, and a redelivery must not start a
 * second operation.
 */
import { AppError } from '../errors';
import type { Logger } from '../logger';
import type { Storage } from '../storage/storage';
import { welcomeReply } from './commands/help';
import { parseCommand, suggest } from './commands/parse';
import { COMMANDS, findCommand } from './commands/registry';
import { type Command, type CommandDeps, UsageError } from './commands/types';
import { type ClaimResult, DuplicateGuard, outcomeOf } from './dedupe';
import { errorText } from './errorText';
import type { Reply } from './replies';
import type { ChatRequest } from './request';
import { quotedWords } from './userText';
import { labelTurn } from '../telemetry/turnLabel';
import { code, t, text } from './text';

export class Dispatcher {
  private readonly guard: DuplicateGuard;
  /** The channel's message id identifies a redelivery for much longer than the business key. */
  private readonly deliveries: DuplicateGuard;

  constructor(
    private readonly deps: CommandDeps,
    storage: Storage,
    private readonly commands: readonly Command[] = COMMANDS,
  ) {
    this.guard = new DuplicateGuard(storage, 'recent-commands');
    this.deliveries = new DuplicateGuard(storage, 'recent-deliveries', 24 * 60 * 60_000);
  }

  /** What the bot says when it joins a conversation. */
  welcome(): Reply {
    return welcomeReply(this.deps);
  }

  async handle(request: ChatRequest): Promise<Reply[]> {
    const log = this.deps.log.child({
      correlationId: request.correlationId,
      user: request.user.id,
      conversation: request.conversation.id,
    });
    const parsed = parseCommand(request.text);
    if (!parsed.ok) return [{ kind: 'error', text: text(parsed.error) }];
    const verb = parsed.command.verb;
    if (!verb)
      return this.run(
        this.commands.find((c) => c.name === 'help')!,
        request,
        parsed.command,
        log,
        'none',
      );
    const command = findCommand(verb, this.commands);
    if (!command) {
      const guess = suggest(
        verb,
        this.commands.flatMap((c) => [c.name, ...c.aliases]),
      );
      const didYouMean = guess ? t` Did you mean ${code(guess)}?` : [];
      return [
        {
          kind: 'error',
          text: t`I don't know ${code(quotedWords(verb, 40))}.${didYouMean} Say ${code('help')} to see what I can do.`,
        },
      ];
    }
    if (!command.sideEffects) return this.run(command, request, parsed.command, log, request.correlationId);

    const key = DuplicateGuard.key(
      request.conversation.id,
      request.user.id,
      parsed.command.verb,
      parsed.command.rest.trim(),
    );
    const delivery = request.messageId ? DuplicateGuard.key(request.conversation.id, request.messageId) : undefined;
    const redelivered = delivery ? !(await this.deliveries.claim(delivery, request.receivedAt)).fresh : false;
    const claim: ClaimResult = redelivered ? { fresh: false } : await this.guard.claim(key, request.receivedAt);
    if (!claim.fresh) {
      log.info('duplicate command ignored', { verb });
      // A repeated request that went to approval: show where that request stands now.
      if (claim.approvalId) return [await this.deps.approvals.show(claim.approvalId, request.user)];
      return [
        { kind: 'text', text: t`I'm already on that ${code(command.name)}; its progress is in my earlier message.` },
      ];
    }
    const replies = await this.run(command, request, parsed.command, log, claim.idempotencyKey);
    // A vote is not a request to show again; any other approval reply is.
    const outcome = outcomeOf(replies, parsed.command.verb !== 'approve');
    await this.guard.settle(key, outcome, this.deps.clock.now()); // no outcome: the user may send it again at once
    if (!outcome && delivery) await this.deliveries.release(delivery, this.deps.clock.now());
    return replies;
  }

  private async run(
    command: Command,
    request: ChatRequest,
    args: Parameters<Command['run']>[0]['args'],
    log: Logger,
    idempotencyKey: string,
  ): Promise<Reply[]> {
    labelTurn({ command: command.name });
    try {
      const result = await command.run({
        request,
        args,
        actor: { objectId: request.user.id, ...(request.user.name ? { name: request.user.name } : {}) },
        deps: { ...this.deps, log },
        idempotencyKey,
        commands: this.commands,
      });
      log.info('command handled', { command: command.name });
      return Array.isArray(result) ? result : [result];
    } catch (error) {
      if (error instanceof AppError)
        log.info('command rejected', { command: command.name, code: error.code, detail: error.message });
      else log.error('command failed', { command: command.name, error });
      const showUsage = error instanceof UsageError;
      return [
        {
          kind: 'error',
          text: errorText(error, request.correlationId),
          ...(showUsage ? { usage: command.usage } : {}),
        },
      ];
    }
  }
}
