/** Test doubles for the notification tests: a scripted sender, a quiet logger, replies. */
import type { Clock } from '../../../src/clock';
import type { NotificationSender, SendOutcome } from '../../../src/core/notifications/outboxWorker';
import type { Reply } from '../../../src/core/replies';
import { createLogger, type Logger } from '../../../src/logger';

export interface SentCall {
  conversationKey: string;
  reply: Reply;
  /** The clock's time when the sender was called. */
  at: number;
}

type Script = SendOutcome | Error | ((call: SentCall) => SendOutcome | Promise<SendOutcome>);

/**
 * A NotificationSender that answers from a script per conversation: each call takes the next
 * outcome of that conversation's list (the last one repeats); without a script, every send works.
 */
export class ScriptedSender implements NotificationSender {
  readonly calls: SentCall[] = [];
  private readonly scripts = new Map<string, Script[]>();
  private messages = 0;

  constructor(private readonly clock: Clock) {}

  script(conversationKey: string, ...outcomes: Script[]): this {
    this.scripts.set(conversationKey, outcomes);
    return this;
  }

  async send(conversationKey: string, reply: Reply): Promise<SendOutcome> {
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

export function textReply(text: string): Reply {
  return { kind: 'text', text };
}
