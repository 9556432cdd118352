/** The shape every command file exports, and what a command gets to work with. */
import type { RuntimeClient } from '../../client/runtimeClient';
import type { Clock } from '../../clock';
import type { RetirementConfig } from '../../config';
import type { Person } from '../../domain/runtime';
import { AppError, ErrorCode } from '../../errors';
import type { Logger } from '../../logger';
import type { ApprovalService } from '../approvals/service';
import type { AuditLog } from '../audit/auditLog';
import { type ChangeContext, type ChangeRequester, changeContextOf } from '../changes';
import type { SubscriptionStore } from '../notifications/subscriptions';
import type { PolicyStore } from '../policy/policyStore';
import type { Permissions } from '../permissions';
import type { CommandHelp, Reply } from '../replies';
import type { ChatAttachment, ChatRequest } from '../request';
import { quoted } from '../userText';
import type { ParsedCommand } from './parse';

export interface CommandDeps {
  client: RuntimeClient;
  log: Logger;
  clock: Clock;
  permissions: Permissions;
  /** Where changes go: straight to the runtime service, or to an approval first. */
  changes: ChangeRequester;
  approvals: ApprovalService;
  policy: PolicyStore;
  audit: AuditLog;
  subscriptions: SubscriptionStore;
  /** Prompt flow's retirement calendar (settings), for the lines that count the days. */
  retirement: RetirementConfig;
  /** Reads an attached file's text (size-capped); the edge knows how to download. */
  readAttachment(attachment: ChatAttachment): Promise<string>;
}

export interface CommandContext {
  request: ChatRequest;
  args: ParsedCommand;
  actor: Person;
  deps: CommandDeps;
  /** Stable for redeliveries of the same message: sent to the service as Idempotency-Key. */
  idempotencyKey: string;
  /** Every registered command, for help. */
  commands: readonly Command[];
}

export interface Command extends CommandHelp {
  /** Changes something: runs under an Idempotency-Key, and a repeated message does not run it twice. */
  sideEffects: boolean;
  run(ctx: CommandContext): Promise<Reply | Reply[]>;
}

/** A command called wrongly: the dispatcher answers with the problem and the command's usage. */
export class UsageError extends AppError {
  constructor(message: string) {
    super(ErrorCode.BadRequest, message);
    this.name = 'UsageError';
  }
}

export function usageError(message: string): UsageError {
  return new UsageError(message);
}

/** The runtime name argument, required by most commands. */
export function runtimeNameArg(ctx: CommandContext): string {
  const name = ctx.args.args[0];
  if (!name) throw usageError('Which runtime? Give its name.');
  return name;
}

export function flag(ctx: CommandContext, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = ctx.args.flags[name];
    if (typeof value === 'string') return value;
    if (value === true) throw usageError(`--${name} needs a value.`);
  }
  return undefined;
}

export function intFlag(ctx: CommandContext, ...names: string[]): number | undefined {
  const raw = flag(ctx, ...names);
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw)) throw usageError(`--${names[0]} must be a whole number (got ${quoted(raw, 20)}).`);
  return Number(raw);
}

/** Rejects flags the command does not know, so a typo is not silently ignored. */
export function allowFlags(ctx: CommandContext, allowed: string[]): void {
  const unknown = Object.keys(ctx.args.flags).filter((f) => !allowed.includes(f));
  if (unknown.length) {
    const list = unknown.map((f) => quoted(`--${f}`, 30)).join(', ');
    throw usageError(
      `Unknown option ${list}.${allowed.length ? ` This command takes ${allowed.map((f) => `--${f}`).join(', ')}.` : ''}`,
    );
  }
}

export function toHelp(c: Command): CommandHelp {
  return { name: c.name, aliases: c.aliases, summary: c.summary, usage: c.usage, examples: c.examples };
}

/** The change context of a typed command. */
export const changeContext = (ctx: CommandContext): ChangeContext => changeContextOf(ctx);

/** Who and where, for audit entries of a command. */
export function auditBase(ctx: CommandContext) {
  const { user, conversation } = ctx.request;
  return {
    actor: { id: user.id, ...(user.name ? { name: user.name } : {}) },
    conversation: { id: conversation.id, type: conversation.type },
  };
}
