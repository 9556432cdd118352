/**
 * The Dispatcher with a hand-written runtime client and MemoryStorage: routing, "did you mean",
 * usage on mistakes, the redelivery window (driven by `receivedAt` from a FakeClock), and the one
 * place where errors become words (errorText).
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { RuntimeClient } from '../../src/client/runtimeClient';
import { FakeClock } from '../../src/clock';
import { RETIREMENT_DEFAULTS } from '../../src/config';
import { COMMANDS } from '../../src/core/commands/registry';
import type { CommandDeps } from '../../src/core/commands/types';
import { Dispatcher } from '../../src/core/dispatcher';
import { errorText } from '../../src/core/errorText';
import { directChanges } from '../../src/core/changes';
import { openPermissions } from '../../src/core/permissions';
import type { Reply } from '../../src/core/replies';
import type { ChatRequest } from '../../src/core/request';
import type { Operation, Runtime } from '../../src/domain/runtime';
import { AppError, ErrorCode } from '../../src/errors';
import { createLogger } from '../../src/logger';
import { MemoryStorage } from '../../src/storage/memoryStorage';
import { markup, withMarkup } from '../helpers/textMarkup';

const NOW = Date.parse('2026-11-23T09:00:00Z');

function operation(kind: Operation['kind'], runtimeName: string): Operation {
  return {
    id: randomUUID(),
    kind,
    runtimeName,
    status: 'Running',
    requestedBy: { objectId: 'u-alex' },
    createdOn: new Date(NOW).toISOString(),
    updatedOn: new Date(NOW).toISOString(),
    input: {},
    warnings: [],
    steps: [{ at: new Date(NOW).toISOString(), status: 'NotStarted', message: 'Accepted' }],
  };
}

function runtime(name: string): Runtime {
  return {
    name,
    type: 'automatic',
    status: 'Running',
    outdated: false,
    owner: { objectId: 'u-alex', name: 'Alex' },
    createdOn: new Date(NOW).toISOString(),
    modifiedOn: new Date(NOW).toISOString(),
  };
}

/** These tests never reach the approval commands: their dependencies are absent on purpose. */
const NO_APPROVALS = {
  approvals: undefined as never,
  policy: undefined as never,
  audit: undefined as never,
  subscriptions: undefined as never,
  retirement: RETIREMENT_DEFAULTS,
};

/** The few client methods the commands under test use, each a spy. */
function fakeClient() {
  const fake = {
    runAction: vi.fn(async (name: string, action: 'reset' | 'stop' | 'upgrade', _actor: unknown, _key?: string) =>
      operation(action, name),
    ),
    installPackages: vi.fn(async (name: string, _req: string, _saveOnly: boolean, _actor: unknown, _key?: string) =>
      operation('install', name),
    ),
    updateRuntime: vi.fn(async (name: string) => operation('update', name)),
    createRuntime: vi.fn(async (name: string) => operation('create', name)),
    getRuntime: vi.fn(async (name: string) => ({ runtime: runtime(name), eTag: '7' })),
    allRuntimes: vi.fn(async () => [runtime('chat-dev')]),
    // The generic entry point the change requester uses, routed to the mocks above.
    change: async (
      kind: string,
      name: string,
      body: Record<string, unknown>,
      actor: unknown,
      options: { idempotencyKey?: string } = {},
    ) => {
      if (kind === 'create') return fake.createRuntime(name);
      if (kind === 'update') return fake.updateRuntime(name);
      if (kind === 'install')
        return fake.installPackages(
          name,
          String(body.requirements),
          body.saveOnly === true,
          actor,
          options.idempotencyKey,
        );
      return fake.runAction(name, kind as 'reset', actor, options.idempotencyKey);
    },
  };
  return fake;
}

let clock: FakeClock;
let client: ReturnType<typeof fakeClient>;
let logs: Record<string, unknown>[];
let dispatcher: Dispatcher;

beforeEach(() => {
  clock = new FakeClock(NOW);
  client = fakeClient();
  logs = [];
  const deps: CommandDeps = {
    client: client as unknown as RuntimeClient,
    log: createLogger('debug', {}, (line) => logs.push(JSON.parse(line))),
    clock,
    readAttachment: async (a) => a.content ?? '',
    permissions: openPermissions,
    changes: directChanges(client as unknown as RuntimeClient),
    ...NO_APPROVALS,
  };
  dispatcher = new Dispatcher(deps, new MemoryStorage());
});

function request(text: string, overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    user: { id: 'u-alex', name: 'Alex Wilber' },
    conversation: { id: 'conv-1', type: 'personal' },
    text,
    attachments: [],
    correlationId: randomUUID(),
    receivedAt: clock.now(),
    ...overrides,
  };
}

const say = (text: string, overrides: Partial<ChatRequest> = {}) => dispatcher.handle(request(text, overrides));

function onlyError(replies: Reply[]) {
  expect(replies).toHaveLength(1);
  expect(replies[0].kind).toBe('error');
  return withMarkup(replies[0] as Extract<Reply, { kind: 'error' }>);
}

describe('routing', () => {
  it.each(['', '   ', 'runtime', 'session', 'RUNTIME --help', '<at>Runtime Bot</at>'])(
    'should answer %j with the full help and the retirement line',
    async (text) => {
      const replies = await say(text);
      expect(replies).toEqual([
        {
          kind: 'help',
          commands: expect.any(Array),
          // 2026-11-23 09:00 UTC: 147 days and 15 hours before 2027-04-20.
          retirement: { ...RETIREMENT_DEFAULTS, phase: 'frozen', daysLeft: 148 },
        },
      ]);
      const help = replies[0] as Extract<Reply, { kind: 'help' }>;
      expect(help.commands.map((c) => c.name)).toEqual(COMMANDS.map((c) => c.name));
    },
  );

  it.each([
    ['reset rt-a', 'reset'],
    ['restart rt-a', 'reset'],
    ['runtime stop rt-a', 'stop'],
    ['DELETE rt-a', 'stop'],
    ['<at>Bot</at> upgrade rt-a', 'upgrade'],
  ])('should route %j to the %s action', async (text, action) => {
    const replies = await say(text);
    expect(replies[0].kind).toBe('operation');
    expect(client.runAction).toHaveBeenCalledWith(
      'rt-a',
      action,
      { objectId: 'u-alex', name: 'Alex Wilber' },
      expect.stringMatching(/^[0-9a-f]{64}$/),
    );
  });

  it.each([
    ['stauts', 'status'],
    ['lsit', 'list'],
    ['instal', 'install'],
    ['upgarde', 'upgrade'],
    ['rest', 'reset'],
    ['verison', 'version'],
    ['hlep', 'help'],
  ])('should suggest a command for the unknown verb %j', async (verb, guess) => {
    const { text } = onlyError(await say(`${verb} rt-a`));
    expect(text).toBe(`I don't know \`${verb}\`. Did you mean \`${guess}\`? Say \`help\` to see what I can do.`);
    expect(client.runAction).not.toHaveBeenCalled();
  });

  it('should point to help when no command is close', async () => {
    expect(onlyError(await say('frobnicate rt-a')).text).toBe(
      "I don't know `frobnicate`. Say `help` to see what I can do.",
    );
  });

  it('should quote at most 40 characters of an unknown verb', async () => {
    const { text } = onlyError(await say('x'.repeat(5000)));
    expect(text).toContain(`\`${'x'.repeat(39)}…\``);
    expect(text.length).toBeLessThan(120);
  });

  it('should answer a message the parser refuses with its reason', async () => {
    expect(onlyError(await say('create "rt-a --vm-size X')).text).toMatch(/^Unterminated quote in: /);
  });

  it('should only know the commands it was given', async () => {
    const help = COMMANDS.find((c) => c.name === 'help')!;
    const status = COMMANDS.find((c) => c.name === 'status')!;
    const narrow = new Dispatcher(
      {
        client: client as unknown as RuntimeClient,
        log: createLogger('silent'),
        clock,
        readAttachment: async () => '',
        permissions: openPermissions,
        changes: directChanges(client as unknown as RuntimeClient),
        ...NO_APPROVALS,
      },
      new MemoryStorage(),
      [help, status],
    );
    expect(onlyError(await narrow.handle(request('reset rt-a'))).text).toContain("I don't know `reset`");
    const replies = await narrow.handle(request('help'));
    expect((replies[0] as Extract<Reply, { kind: 'help' }>).commands.map((c) => c.name)).toEqual(['help', 'status']);
  });
});

describe('usage', () => {
  it.each(['reset', 'stop', 'upgrade', 'update', 'install'])('should answer a bare %j with its usage', async (verb) => {
    const command = COMMANDS.find((c) => c.name === verb)!;
    expect(onlyError(await say(verb))).toEqual({
      kind: 'error',
      text: 'Which runtime? Give its name.',
      usage: command.usage,
    });
    expect(client.runAction).not.toHaveBeenCalled();
  });

  it.each([
    ['reset rt-a --force', 'reset', 'Unknown option `--force`.'],
    ['list --page 0', 'list', '--page starts at 1.'],
    ['list --page x', 'list', '--page must be a whole number (got `x`).'],
    ['update rt-a --idle', 'update', '--idle needs a value.'],
    ['create rt-a --idle 60', 'create', 'A compute session (automatic runtime) needs --vm-size'],
    ['create rt-a --type gpu', 'create', 'Unknown runtime type `gpu`'],
    ['create rt-a --type ci', 'create', 'A compute instance runtime needs --compute <instance>.'],
    [
      'create rt-a --type deployment --endpoint ep-a',
      'create',
      'A deployment runtime needs --endpoint, --deployment and --instance-type.',
    ],
  ])('should answer %j with the problem and the usage of %s', async (text, verb, problem) => {
    const reply = onlyError(await say(text));
    expect(reply.text).toContain(problem);
    expect(reply.usage).toBe(COMMANDS.find((c) => c.name === verb)!.usage);
  });

  it("should not add the usage to the service's own refusals", async () => {
    client.runAction.mockRejectedValueOnce(new AppError(ErrorCode.NotFound, 'There is no runtime named rt-a.'));
    expect(onlyError(await say('reset rt-a'))).toEqual({
      kind: 'error',
      text: 'There is no runtime named rt-a. Say `list` to see the runtimes.',
    });
  });
});

describe('redeliveries', () => {
  const ALREADY = "I'm already on that `reset`; its progress is in my earlier message.";

  it('should run a change once when it comes again within a minute', async () => {
    const first = await say('reset rt-a');
    clock.advance(59_999);
    const again = await say('reset rt-a');
    expect(first[0].kind).toBe('operation');
    expect(again.map(withMarkup)).toEqual([{ kind: 'text', text: ALREADY }]);
    expect(client.runAction).toHaveBeenCalledTimes(1);
  });

  it('should run it again once the minute has passed, under a new idempotency key', async () => {
    await say('reset rt-a');
    clock.advance(60_000);
    await say('reset rt-a');
    expect(client.runAction).toHaveBeenCalledTimes(2);
    const [first, second] = client.runAction.mock.calls.map((c) => c[3]);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toMatch(/^[0-9a-f]{64}$/);
    expect(second).not.toBe(first);
  });

  it('should take the prefixed and the bare form of one change for the same request', async () => {
    await say('runtime reset rt-a');
    expect((await say('reset rt-a')).map(withMarkup)).toEqual([{ kind: 'text', text: ALREADY }]);
    expect(client.runAction).toHaveBeenCalledTimes(1);
  });

  it('should run a change once when two deliveries race', async () => {
    const [a, b] = await Promise.all([say('reset rt-a'), say('reset rt-a')]);
    expect(client.runAction).toHaveBeenCalledTimes(1);
    expect([a[0].kind, b[0].kind].sort()).toEqual(['operation', 'text']);
  });

  it.each([
    ['another user', { user: { id: 'u-megan', name: 'Megan' } }],
    ['another conversation', { conversation: { id: 'conv-2', type: 'channel' as const } }],
  ])('should not take the same text from %s for a redelivery', async (_label, overrides) => {
    await say('reset rt-a');
    const other = await say('reset rt-a', overrides);
    expect(other[0].kind).toBe('operation');
    expect(client.runAction).toHaveBeenCalledTimes(2);
  });

  it.each([
    ['a coded refusal', new AppError(ErrorCode.Busy, 'rt-a is busy.')],
    ['the service being down', new AppError(ErrorCode.Unavailable, 'unreachable')],
    ['a bug', new TypeError('x is undefined')],
  ])('should let a change that failed with %s be sent again at once', async (_label, error) => {
    client.runAction.mockRejectedValueOnce(error);
    expect((await say('reset rt-a'))[0].kind).toBe('error');
    expect((await say('reset rt-a'))[0].kind).toBe('operation');
    expect(client.runAction).toHaveBeenCalledTimes(2);
  });

  it('should let a usage mistake be sent again at once', async () => {
    onlyError(await say('reset'));
    expect(onlyError(await say('reset')).text).toBe('Which runtime? Give its name.');
  });

  it('should never deduplicate questions', async () => {
    await say('status rt-a');
    await say('status rt-a');
    await say('list');
    await say('list');
    expect(client.getRuntime).toHaveBeenCalledTimes(2);
    expect(client.allRuntimes).toHaveBeenCalledTimes(2);
  });

  it('should deduplicate every kind of change', async () => {
    for (const text of [
      'install rt-a numpy',
      'update rt-a --idle 90',
      'create rt-b --vm-size Standard_E4ds_v4',
      'stop rt-a',
      'upgrade rt-a',
    ]) {
      expect((await say(text))[0].kind).toBe('operation');
      expect(withMarkup((await say(text))[0])).toMatchObject({
        kind: 'text',
        text: expect.stringContaining("I'm already on that"),
      });
    }
    expect(client.installPackages).toHaveBeenCalledTimes(1);
    expect(client.updateRuntime).toHaveBeenCalledTimes(1);
    expect(client.createRuntime).toHaveBeenCalledTimes(1);
    expect(client.runAction).toHaveBeenCalledTimes(2);
  });
});

describe('errors', () => {
  it('should answer a bug with the generic sentence and the turn id, and log the stack under that id', async () => {
    client.allRuntimes.mockRejectedValueOnce(new TypeError("Cannot read properties of undefined (reading 'value')"));
    const req = request('list');
    const { text } = onlyError(await dispatcher.handle(req));
    expect(text).toBe(
      `Something went wrong on my side. It is logged with id \`${req.correlationId}\`; please try again.`,
    );
    const logged = logs.find((l) => l.msg === 'command failed');
    expect(logged).toMatchObject({
      level: 'error',
      correlationId: req.correlationId,
      command: 'list',
      user: 'u-alex',
      conversation: 'conv-1',
    });
    expect(JSON.stringify(logged)).toContain('TypeError');
  });

  it('should log a coded refusal at info level with its code and the turn id', async () => {
    client.runAction.mockRejectedValueOnce(
      new AppError(ErrorCode.Conflict, 'Cannot reset rt-a while it is Unavailable.'),
    );
    const req = request('reset rt-a');
    await dispatcher.handle(req);
    expect(logs.find((l) => l.msg === 'command rejected')).toMatchObject({
      level: 'info',
      code: 'conflict',
      correlationId: req.correlationId,
    });
  });

  it.each([
    [
      'not_found',
      new AppError(ErrorCode.NotFound, 'There is no runtime named rt-a.'),
      'There is no runtime named rt-a. Say `list` to see the runtimes.',
    ],
    [
      'runtime_busy',
      new AppError(ErrorCode.Busy, 'rt-a is busy: a reset requested by Megan is still running.'),
      'rt-a is busy: a reset requested by Megan is still running.',
    ],
    [
      'unavailable',
      new AppError(ErrorCode.Unavailable, 'The runtime service is having trouble (503).'),
      "I can't reach the runtime service right now. Try again in a minute.",
    ],
  ])('should answer %s from the client with errorText', async (_code, error, expected) => {
    client.runAction.mockRejectedValueOnce(error);
    expect(onlyError(await say('reset rt-a')).text).toBe(expected);
  });
});

describe('errorText', () => {
  const ID = '3f2b8c1e-1111-4222-8333-944455566677';
  const two = { vmSize: 'Unknown VM size Big.', idleTimeMinutes: 'Idle time must be 15 to 4320.' };

  // One row per code: the table below must cover every ErrorCode (checked after it).
  const table: [string, AppError, string][] = [
    [
      'bad_request',
      new AppError(ErrorCode.BadRequest, 'Which runtime? Give its name.'),
      'Which runtime? Give its name.',
    ],
    [
      'invalid_field',
      new AppError(ErrorCode.InvalidField, 'Unknown VM size Big.', { fields: { vmSize: 'Unknown VM size Big.' } }),
      'Unknown VM size Big.',
    ],
    [
      'not_found',
      new AppError(ErrorCode.NotFound, 'There is no runtime named rt-a.'),
      'There is no runtime named rt-a. Say `list` to see the runtimes.',
    ],
    [
      'conflict',
      new AppError(ErrorCode.Conflict, 'rt-a already runs the latest image version.'),
      'rt-a already runs the latest image version.',
    ],
    ['runtime_busy', new AppError(ErrorCode.Busy, 'rt-a is busy.'), 'rt-a is busy.'],
    [
      'precondition_failed',
      new AppError(ErrorCode.PreconditionFailed, 'rt-a changed since you looked.'),
      'rt-a changed since you looked.',
    ],
    [
      'idempotency_key_reused',
      new AppError(ErrorCode.IdempotencyMismatch, 'This Idempotency-Key was already used.'),
      'This Idempotency-Key was already used.',
    ],
    ['unauthorized', new AppError(ErrorCode.Unauthorized, 'Sign in first.'), 'Sign in first.'],
    ['forbidden', new AppError(ErrorCode.Forbidden, 'Only the owner may stop rt-a.'), 'Only the owner may stop rt-a.'],
    [
      'payload_too_large',
      new AppError(ErrorCode.PayloadTooLarge, 'The requirements are too long.'),
      'The requirements are too long.',
    ],
    ['unsupported_media_type', new AppError(ErrorCode.UnsupportedMediaType, 'Send JSON.'), 'Send JSON.'],
    [
      'unavailable',
      new AppError(ErrorCode.Unavailable, 'The runtime service is unreachable.'),
      "I can't reach the runtime service right now. Try again in a minute.",
    ],
    [
      'overloaded',
      new AppError(ErrorCode.Overloaded, 'could not update runtimes/rt-a: too much contention'),
      'Too many changes are arriving at once. Try again in a few seconds: sending the same request again is safe.',
    ],
    [
      'too_many_requests',
      new AppError(ErrorCode.TooManyRequests, 'This client already has 20 open event streams.'),
      'This client already has 20 open event streams.',
    ],
    [
      'internal',
      new AppError(ErrorCode.Internal, 'ENOENT /var/lib/bot/state.json'),
      `Something went wrong on my side. It is logged with id \`${ID}\`; please try again.`,
    ],
  ];

  it.each(table)('should turn %s into its sentence', (_code, error, expected) => {
    expect(markup(errorText(error, ID))).toBe(expected);
  });

  it('should have a row for every error code', () => {
    expect(table.map(([code]) => code).sort()).toEqual(Object.values(ErrorCode).sort());
  });

  it.each([ErrorCode.BadRequest, ErrorCode.InvalidField])(
    'should list the fields of a %s with several problems',
    (code) => {
      const text = markup(errorText(new AppError(code, 'Two problems.', { fields: two }), ID));
      expect(text).toBe(
        'That request has problems:\n- **vmSize**: Unknown VM size Big.\n- **idleTimeMinutes**: Idle time must be 15 to 4320.',
      );
    },
  );

  it.each([
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a plain Error with a path', new Error('ENOENT: no such file, open /srv/bot/data/x.json')],
    ['a string', 'boom'],
    ['undefined', undefined],
  ])('should show only the generic sentence for %s', (_label, error) => {
    const text = markup(errorText(error, ID));
    expect(text).toBe(`Something went wrong on my side. It is logged with id \`${ID}\`; please try again.`);
  });
});
