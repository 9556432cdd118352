/**
 * Hostile activities: every command (and alias) with hostile arguments and flags, every card verb
 * with hostile data, the Action.Submit fallback, member and other events, and fields of the wrong
 * type where Teams would put an object or a string. Most are otherwise well formed Teams activities
 * (a personal chat or a channel with its mention), so that they get past the edge and into the core.
 */
import { Verb } from '../../../src/core/actions/verbs';
import { COMMANDS } from '../../../src/core/commands/registry';
import { messageActivity, PEOPLE, type Who } from '../activities';
import { DEMO_RUNTIMES, type Hostile } from './hostile';
import type { Random } from './random';

const VERBS = [...COMMANDS.flatMap((c) => [c.name, ...c.aliases]), 'runtime', 'helpp', 'stauts', 'lst'];
const FLAGS = [
  'vm-size',
  'idle',
  'identity',
  'image',
  'type',
  'compute',
  'app',
  'env',
  'endpoint',
  'deployment',
  'instance-type',
  'instance-count',
  'description',
  'save-only',
  'status',
  'page',
  'export',
  'since',
  'i',
  'index-url',
  'extra-index-url',
  'trusted-host',
  'f',
  'constructor',
  '__proto__',
  'help',
];
const CARD_FIELDS = [
  'name',
  'requirements',
  'flowDag',
  'saveOnly',
  'page',
  'status',
  'type',
  'description',
  'vmSize',
  'idleTimeMinutes',
  'identity',
  'image',
  'computeInstanceName',
  'customApplication',
  'environment',
  'endpointName',
  'deploymentName',
  'instanceType',
  'instanceCount',
  'operationId',
  'approvalId',
  'reason',
  'kind',
  'command',
  'topic',
  'verb',
];
const WHO = Object.keys(PEOPLE) as Who[];

/**
 * Feed tokens are planted where a person types (message text, card inputs, attached files), through
 * `h`; envelope fields a client sets and nobody types (ids, locale, names of invokes) get hostile values
 * from `loose`, whose tokens are not looked for: the SDK echoes those fields back to the channel.
 */
export class ActivityFuzzer {
  constructor(
    private readonly r: Random,
    private readonly h: Hostile,
    private readonly loose: Hostile,
    private readonly serviceUrl: string,
  ) {}

  /** One hostile activity, as the JSON object to POST to /api/messages. */
  next(): Record<string, unknown> {
    const roll = this.r.next();
    if (roll < 0.55) return this.message(this.commandText());
    if (roll < 0.8) return this.invoke();
    if (roll < 0.87) return this.submitFallback();
    if (roll < 0.93) return this.oddlyTyped();
    return this.otherEvent();
  }

  /** A chat command: a verb (known, misspelt or hostile), then hostile arguments and flags. */
  commandText(): string {
    const r = this.r;
    const verb = r.chance(0.85) ? r.pick(VERBS) : this.h.string();
    const parts: string[] = [r.chance(0.15) ? `runtime ${verb}` : verb];
    if (r.chance(0.7)) parts.push(r.chance(0.6) ? r.pick(DEMO_RUNTIMES) : this.h.string());
    for (let i = r.int(0, 3); i > 0; i--) {
      const roll = r.next();
      if (roll < 0.4) {
        const flag = r.chance(0.85) ? r.pick(FLAGS) : this.h.string();
        const value = r.chance(0.5) ? this.h.string() : this.h.feedUrl();
        parts.push(r.chance(0.5) ? `--${flag} ${quoteMaybe(r, value)}` : `--${flag}=${quoteMaybe(r, value)}`);
      } else if (roll < 0.6) {
        parts.push(this.h.feedLine());
      } else {
        parts.push(quoteMaybe(r, this.h.string()));
      }
    }
    // Install reads its requirement lines from the rest of the message, one per line.
    if (/^(runtime )?(install|pip)\b/.test(parts[0]) && r.chance(0.6)) parts.push(`\n${this.h.requirements()}`);
    return parts.join(' ');
  }

  message(text: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const r = this.r;
    const where = r.chance(0.7) ? ({ kind: 'personal' } as const) : ({ kind: 'channel' } as const);
    const activity = messageActivity(this.serviceUrl, '', r.pick(WHO), where);
    const said = typeof text === 'string' && where.kind === 'channel' ? `<at>Runtime Bot</at> ${text}` : text;
    return { ...activity, text: said, ...extra };
  }

  /** An Action.Execute click with a known verb (mostly) and hostile data. */
  invoke(): Record<string, unknown> {
    const r = this.r;
    const verb = r.chance(0.9) ? r.pick(Object.values(Verb)) : this.h.string();
    const data = r.chance(0.9) ? this.cardData() : this.h.value();
    const action = r.chance(0.95)
      ? { type: 'Action.Execute', verb, data }
      : r.pick([null, 'x', [], { verb: 5, data: 'y' }]);
    return this.message(undefined, {
      type: 'invoke',
      name: r.chance(0.95) ? 'adaptiveCard/action' : this.loose.string(),
      replyToId: r.chance(0.8) ? `card-${r.int(1, 20)}` : this.loose.value(),
      value: r.chance(0.95) ? { action, trigger: 'manual' } : this.h.value(),
    });
  }

  /** Older clients send a card's Action.Submit as a message whose value holds the verb. */
  submitFallback(): Record<string, unknown> {
    return this.message(undefined, { value: { ...this.cardData(), verb: this.r.pick(Object.values(Verb)) } });
  }

  /** Fields of the wrong type where Teams sends text or objects. */
  oddlyTyped(): Record<string, unknown> {
    const r = this.r;
    const base = this.message(this.commandText());
    const field = r.pick([
      'text',
      'from',
      'conversation',
      'channelData',
      'attachments',
      'entities',
      'value',
      'recipient',
      'replyToId',
      'id',
      'timestamp',
      'locale',
      'name',
      'channelId',
      'membersAdded',
    ]);
    const from = base.from as Record<string, unknown>;
    if (field === 'from' && r.chance(0.5)) return { ...base, from: { ...from, aadObjectId: this.loose.value() } };
    if (field === 'channelData' && r.chance(0.5))
      return { ...base, channelData: { tenant: { id: this.loose.value() } } };
    if (field === 'attachments' && r.chance(0.5)) {
      // A requirements.txt attached to `install`: inline, or at an address nothing listens on.
      const attachment = r.chance(0.7)
        ? { contentType: 'text/plain', name: 'requirements.txt', content: this.h.requirements() }
        : { contentType: 'text/plain', name: 'requirements.txt', contentUrl: 'https://127.0.0.1:9/requirements.txt' };
      return this.message('install chat-dev', { attachments: [attachment] });
    }
    const typed = ['text', 'value'].includes(field);
    return { ...base, [field]: typed ? this.h.value() : this.loose.value() };
  }

  /** Member changes, installs, reactions, and types the bot does not handle. */
  otherEvent(): Record<string, unknown> {
    const r = this.r;
    const type = r.pick(['conversationUpdate', 'installationUpdate', 'messageReaction', 'event', 'typing', 'x']);
    return this.message(undefined, {
      type,
      membersAdded: r.chance(0.5) ? [{ id: '28:bot-id' }, { id: this.loose.value() }] : this.loose.value(),
      membersRemoved: r.chance(0.3) ? this.loose.value() : undefined,
      action: r.chance(0.3) ? this.loose.string() : 'add',
      name: r.chance(0.5) ? this.loose.string() : undefined,
      value: r.chance(0.5) ? this.h.value() : undefined,
    });
  }

  private cardData(): Record<string, unknown> {
    const r = this.r;
    const data: Record<string, unknown> = {};
    for (let i = r.int(0, 6); i > 0; i--) {
      const field = r.pick(CARD_FIELDS);
      data[field] =
        field === 'requirements' || field === 'flowDag'
          ? r.chance(0.7)
            ? this.h.requirements()
            : this.h.value()
          : field === 'name' && r.chance(0.6)
            ? r.pick(DEMO_RUNTIMES)
            : this.h.value();
    }
    return data;
  }
}

function quoteMaybe(r: Random, value: string): string {
  if (!r.chance(0.3)) return value;
  return `"${value.replace(/"/g, '\\"')}"`;
}
