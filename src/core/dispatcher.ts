/**
 * Routes one chat message to its command and turns every outcome into replies. Commands that
 * change runtimes are deduplicated on a business key (conversation, user, text): chat channels
 * redeliver slow messages, sometimes under a new message id, and a redelivery must not start a
 * second operation.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { Collection, UNCHANGED } from '../storage/collection';
import { isEtagConflict, type Storage } from '../storage/storage';
import { parseCommand, suggest } from './commands/parse';
import { COMMANDS, findCommand } from './commands/registry';
import type { Command, CommandDeps } from './commands/types';
import { errorText } from './errorText';
import type { Reply } from './replies';
import type { ChatRequest } from './request';

/** A repeat of the same change within this window is a redelivery, not a new request. */
const DUPLICATE_WINDOW_MS = 60_000;

interface RecentCommand {
  at: number;
  operationId?: string;
}

export class Dispatcher {
  private readonly recent: Collection<RecentCommand>;

  constructor(
    private readonly deps: CommandDeps,
    storage: Storage,
    private readonly commands: readonly Command[] = COMMANDS,
  ) {
    this.recent = new Collection(storage, 'recent-commands');
  }

  async handle(request: ChatRequest): Promise<Reply[]> {
    const log = this.deps.log.child({ correlationId: request.correlationId, user: request.user.id, conversation: request.conversation.id });
    const parsed = parseCommand(request.text);
    if (!parsed.ok) return [{ kind: 'error', text: parsed.error }];
    const verb = parsed.command.verb;
    if (!verb) return this.run(this.commands.find((c) => c.name === 'help')!, request, parsed.command, log, 'none');
    const command = findCommand(verb, this.commands);
    if (!command) {
      const guess = suggest(verb, this.commands.flatMap((c) => [c.name, ...c.aliases]));
      const text = `I don't know "${verb.slice(0, 40)}".${guess ? ` Did you mean \`${guess}\`?` : ''} Say \`help\` to see what I can do.`;
      return [{ kind: 'error', text }];
    }
    if (!command.sideEffects) return this.run(command, request, parsed.command, log, request.correlationId);

    const key = sha256([request.conversation.id, request.user.id, parsed.command.verb, parsed.command.rest.trim()].join('\n'));
    const claim = await this.claim(key, request.receivedAt);
    if (!claim) {
      log.info('duplicate command ignored', { verb });
      return [{ kind: 'text', text: `I'm already on that \`${command.name}\`; its progress is in my earlier message.` }];
    }
    const replies = await this.run(command, request, parsed.command, log, sha256(`${key}\n${claim}`));
    const op = replies.find((r): r is Extract<Reply, { kind: 'operation' }> => r.kind === 'operation');
    if (op) await this.recent.update(key, (r) => (r ? { ...r, operationId: op.operation.id } : UNCHANGED));
    else await this.recent.delete(key); // it failed: the user may send the same text again at once
    return replies;
  }

  private async run(
    command: Command,
    request: ChatRequest,
    args: Parameters<Command['run']>[0]['args'],
    log: Logger,
    idempotencyKey: string,
  ): Promise<Reply[]> {
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
      if (error instanceof AppError) log.info('command rejected', { command: command.name, code: error.code, detail: error.message });
      else log.error('command failed', { command: command.name, error });
      const showUsage = error instanceof AppError && error.facts?.showUsage === true;
      return [{ kind: 'error', text: errorText(error, request.correlationId), ...(showUsage ? { usage: command.usage } : {}) }];
    }
  }

  /** Claims the business key; returns the claim's time, or undefined for a redelivery. */
  private async claim(key: string, now: number): Promise<number | undefined> {
    try {
      const existing = await this.recent.get(key);
      if (existing && now - existing.at < DUPLICATE_WINDOW_MS) return undefined;
      if (existing) await this.recent.replace(key, { at: now }, existing.eTag);
      else await this.recent.create(key, { at: now });
      return now;
    } catch (error) {
      if (isEtagConflict(error)) return undefined; // a concurrent delivery of the same message won
      throw error;
    }
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
