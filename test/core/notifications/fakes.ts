/** Test doubles for the notification tests: a scripted sender, a quiet logger, replies. */
import { type ConnectorResult, connectorOutcome } from '../../../src/channels/teams/connectorOutcome';
import { TEAMS_CONVERSATION_WINDOWS } from '../../../src/channels/teams/limits';
import type { Clock } from '../../../src/clock';
import type { NotificationSender, SendOutcome } from '../../../src/core/notifications/outboxWorker';
import type { Reply } from '../../../src/core/replies';
import { createLogger, type Logger } from '../../../src/logger';
import { text } from '../../../src/core/text';

export interface SentCall {
  conversationKey: string;
  reply: Reply;
  /** The clock's time when the sender was called. */
  at: number;
}

type Script = ConnectorResult | Error | ((call: SentCall) => ConnectorResult | Promise<ConnectorResult>);

/**
 * A NotificationSender that answers from a script per conversation: each call takes the next
 * connector answer of that conversation's list (the last one repeats), judged as the Teams sender
 * judges it, under Teams' windows; without a script, every send works.
 */
export class ScriptedSender implements NotificationSender {
  readonly conversationWindows = TEAMS_CONVERSATION_WINDOWS;
  readonly calls: SentCall[] = [];
  private readonly scripts = new Map<string, Script[]>();
  private messages = 0;

  constructor(private readonly clock: Clock) {}

  script(conversationKey: string, ...outcomes: Script[]): this {
    this.scripts.set(conversationKey, outcomes);
    return this;
  }

  async send(conversationKey: string, reply: Reply): Promise<SendOutcome> {
    return connectorOutcome(await this.answer(conversationKey, reply));
  }

  private async answer(conversationKey: string, reply: Reply): Promise<ConnectorResult> {
    const call = { conversationKey, reply, at: this.clock.now() };
    this.calls.push(call);
    const script = this.scripts.get(conversationKey);
    const next = script && script.length > 1 ? script.shift()! : script?.[0];
    if (next === undefined) return { ok: true, messageId: `m-${++this.messages}` };
    if (next instanceof Error) throw next;
    if (typeof next === 'function') return next(call);
    return next.ok ? { ...next, messageId: next.messageId ?? `m-${++this.messages}` } : next;
  }

  to(conversationKey: string): SentCall[] {
    return this.calls.filter((c) => c.conversationKey === conversationKey);
  }
}

/** A logger that keeps its lines for assertions instead of printing them. */
export function memoryLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger('debug', {}, (line) => lines.push(line)), lines };
}

export function textReply(words: string): Reply {
  return { kind: 'text', text: text(words) };
}
