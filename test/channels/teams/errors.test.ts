/**
 * What users see when things go wrong: a clear sentence, HTTP 200 to Teams, never a stack trace or
 * internals; a generic message with a correlation id (also in the structured logs) for bugs; and
 * hostile input answered helpfully, without a 500 and without crashing the runtime service.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { createBotApp } from '../../../src/channels/teams/app';
import { FakeClock } from '../../../src/clock';
import { createLogger } from '../../../src/logger';
import { MemoryStorage } from '../../../src/storage/memoryStorage';
import { messageActivity, postActivity, type Where } from '../../helpers/activities';
import { LoopbackConnector } from '../../helpers/connector';
import { botConfig, type Stack, startStack } from '../../helpers/stack';
import { ask, everywhere, expectNoInternals, operations, PLACES, visibleText } from './support';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function stackFor(options: Parameters<typeof startStack>[0] = {}): Promise<Stack> {
  const stack = await startStack(options);
  cleanups.push(() => stack.close());
  return stack;
}

/** Exceptions that escape to the process: a real service or bot process dies of these. */
function watchUncaught(): Error[] {
  const seen: Error[] = [];
  const onError = (error: Error) => seen.push(error);
  process.on('uncaughtException', onError);
  cleanups.push(async () => {
    process.off('uncaughtException', onError);
  });
  return seen;
}

interface TestBot {
  logs: Record<string, unknown>[];
  say(text: string, where?: Where, extra?: Record<string, unknown>): Promise<{ status: number; replies: string[] }>;
}

/**
 * The real bot (createBotApp) with structured logs captured, in front of a stand-in runtime
 * service that answers 200 with `body(path)`: malformed answers make the client hand the commands
 * data they trip over, which is a bug (a non-AppError), not a coded error.
 */
async function botBefore(body: (path: string) => unknown): Promise<TestBot> {
  const service = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body(req.url ?? '')));
  });
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', () => resolve()));
  const logs: Record<string, unknown>[] = [];
  const connector = new LoopbackConnector();
  await connector.start();
  const bot = createBotApp({
    config: botConfig(),
    storage: new MemoryStorage(),
    log: createLogger('debug', {}, (line) => logs.push(JSON.parse(line))),
    serviceUrl: `http://127.0.0.1:${(service.address() as AddressInfo).port}`,
    clock: new FakeClock(Date.parse('2026-11-23T09:00:00Z')),
    runTracker: false,
  });
  const url = await bot.start();
  cleanups.push(async () => {
    await bot.stop();
    service.closeAllConnections();
    await new Promise<void>((resolve) => service.close(() => resolve()));
    await connector.stop();
  });
  return {
    logs,
    async say(text, where = { kind: 'personal' }, extra = {}) {
      const before = connector.calls.length;
      const { status } = await postActivity(url, messageActivity(connector.url, text, 'alex', where, extra));
      return { status, replies: connector.calls.slice(before).map((c) => visibleText(c.activity)) };
    },
  };
}

describe('when the runtime service is unreachable', () => {
  it.each(everywhere([{ text: 'list' }, { text: 'status chat-dev' }, { text: 'reset chat-dev' }]))(
    'should answer $text with a clear sentence in $place',
    async ({ text, where }) => {
      const stack = await stackFor();
      await stack.service.stop();
      const { status, replies } = await ask(stack, text, 'alex', where);
      expect(status).toBe(200);
      expect(replies).toHaveLength(1);
      expect(replies[0]).toMatch(/^I can't reach the runtime service right now\b/);
      expect(replies[0]).toContain('Try again in a minute.');
      expectNoInternals(replies[0]);
    },
  );

  it('should answer through a bot pointed at a closed port, and log the turn with its correlation id', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const logs: Record<string, unknown>[] = [];
    const connector = new LoopbackConnector();
    await connector.start();
    const bot = createBotApp({
      config: botConfig(),
      storage: new MemoryStorage(),
      log: createLogger('debug', {}, (line) => logs.push(JSON.parse(line))),
      serviceUrl: `http://127.0.0.1:${port}`,
      clock: new FakeClock(),
      runTracker: false,
    });
    const botUrl = await bot.start();
    cleanups.push(async () => {
      await bot.stop();
      await connector.stop();
    });
    const { status } = await postActivity(botUrl, messageActivity(connector.url, 'list'));
    expect(status).toBe(200);
    expect(connector.calls.map((c) => c.activity.text)).toEqual([
      expect.stringMatching(/^I can't reach the runtime service/),
    ]);
    const rejected = logs.find((l) => l.msg === 'command rejected');
    expect(rejected).toMatchObject({
      command: 'list',
      code: 'unavailable',
      correlationId: expect.stringMatching(UUID),
    });
  });

  // The service's address is an internal detail, and in a channel every member reads the reply.
  it('should not reveal where the runtime service runs', async () => {
    const stack = await stackFor();
    await stack.service.stop();
    const { replies } = await ask(stack, 'list');
    expect(replies[0]).toContain("can't reach the runtime service");
    expect(replies[0]).not.toContain(new URL(stack.serviceUrl).host);
  });
});

describe('when a command fails with a bug', () => {
  it.each(
    everywhere([
      { text: 'list', what: 'a page without runtimes', body: () => ({ value: null }) },
      { text: 'status', what: 'a summary without its lists', body: () => ({ total: 1, byStatus: {} }) },
      { text: 'list --status Failed', what: 'a page of nulls', body: () => ({ value: [null] }) },
      { text: 'versions', what: 'a report without its lists', body: () => ({}) },
    ]),
  )(
    'should answer $text over $what with a generic message and a correlation id in $place',
    async ({ text, body, where }) => {
      const bot = await botBefore(body);
      const { status, replies } = await bot.say(text, where);
      expect(status).toBe(200);
      expect(replies).toHaveLength(1);
      expect(replies[0]).toMatch(
        /^Something went wrong on my side\. It is logged with id `[0-9a-f-]{36}`; please try again\.$/,
      );
      expectNoInternals(replies[0]);
      // The id in the reply finds the error in the logs.
      const id = UUID.exec(replies[0])![0];
      // Whether the command or the rendering of its reply broke, the error is logged under that id.
      expect(bot.logs.find((l) => l.level === 'error' && l.correlationId === id)).toMatchObject({
        msg: expect.stringMatching(/^(command failed|unhandled turn error)$/),
      });
    },
  );

  it('should give every turn its own correlation id in the logs', async () => {
    const bot = await botBefore(() => ({ value: [] }));
    await bot.say('list');
    await bot.say('list');
    const handled = bot.logs.filter((l) => l.msg === 'command handled');
    expect(handled).toHaveLength(2);
    expect(handled[0].correlationId).toMatch(UUID);
    expect(handled[1].correlationId).toMatch(UUID);
    expect(handled[0].correlationId).not.toBe(handled[1].correlationId);
  });

  // A malformed attachment list is ignored, not a turn error: the command still runs.
  it('should still answer a message whose attachment list is malformed', async () => {
    const bot = await botBefore(() => ({ value: [] }));
    const { status, replies } = await bot.say(
      'list',
      { kind: 'personal' },
      { attachments: [null, 5, { contentType: 7 }] },
    );
    expect(status).toBe(200);
    expect(replies).toHaveLength(1);
    expectNoInternals(replies[0]);
  });
});

describe('hostile messages', () => {
  const HOME = os.homedir();
  it.each(
    everywhere([
      {
        what: '100 KB of text',
        text: `status ${'x'.repeat(100_000)}`,
        helpful: /^The message is too long \(\d+ characters\); the limit is 20000\.$/,
      },
      {
        what: '100 KB of requirement lines',
        text: `install chat-dev\n${'numpy\n'.repeat(17_000)}`,
        helpful: /too long/,
      },
      {
        what: 'a template expression',
        text: 'status ${process.env.HOME}',
        helpful: /There is no runtime named \$\{process\.env\.HOME\}\./,
      },
      {
        what: 'a template in a flag',
        text: 'update chat-dev --idle ${1+1}',
        helpful: /--idle must be a whole number/,
      },
      { what: 'a script tag', text: '<script>alert(1)</script>', helpful: /Say `help`/ },
      { what: 'an HTML image', text: 'status <img src=x onerror=alert(1)>', helpful: /There is no runtime named/ },
      {
        what: 'an unterminated quote',
        text: 'create "rt-a --vm-size Standard_E4ds_v4',
        helpful: /^Unterminated quote in: /,
      },
      {
        what: 'an unterminated single quote',
        text: "update chat-dev --description 'half",
        helpful: /^Unterminated quote/,
      },
      { what: 'NUL characters', text: 'sta\u0000tus\u0000 rag-eval\u0000', helpful: /^rag-eval\b/ },
      { what: 'terminal escapes', text: '\u0007\u001b[31mlist\u001b[0m', helpful: /Say `help`/ },
      { what: 'right-to-left overrides', text: 'status \u202echat-dev\u202c', helpful: /There is no runtime named/ },
      { what: 'an emoji verb', text: '🚀🔥 chat-dev', helpful: /^I don't know .*Say `help`/ },
      { what: 'Arabic text', text: 'الحالة chat-dev', helpful: /Say `help`/ },
      { what: 'only whitespace', text: ' \n\t ', helpful: /what I can do/i },
      { what: 'a path as a name', text: 'status ../../etc/passwd', helpful: /There is no runtime named/ },
      {
        what: 'a prototype key as a flag',
        text: 'list --constructor x --__proto__ y',
        helpful: /Unknown option `--constructor`/,
      },
      { what: 'a huge number', text: 'list --page 99999999999999999999999', helpful: /There is only 1 page/ },
      { what: 'a negative number', text: 'update chat-dev --idle -5', helpful: /idle time/i },
    ]),
  )('should answer $what with 200 and a helpful reply in $place', async ({ text, helpful, where }) => {
    const uncaught = watchUncaught();
    const stack = await stackFor();
    const { status, replies } = await ask(stack, text, 'alex', where);
    expect(status).toBe(200);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatch(helpful);
    expectNoInternals(replies[0]);
    expect(replies[0]).not.toContain(HOME);
    expect(await operations(stack)).toHaveLength(0);
    expect(uncaught).toEqual([]);
  });

  it.each([
    { what: 'an empty object', body: '{}' },
    { what: 'an activity without a type', body: JSON.stringify({ text: 'list', serviceUrl: 'http://127.0.0.1:1' }) },
    { what: 'a non-object', body: 'null' },
    { what: 'an array', body: '[]' },
    { what: 'broken JSON', body: '{"type": "message", ' },
  ])('should answer $what with 400, never 500', async ({ body }) => {
    const stack = await stackFor();
    const res = await fetch(`${stack.botUrl}/api/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    expect(res.status).toBe(400);
  });

  it('should answer a body over the 1 MB limit with 413', async () => {
    const stack = await stackFor();
    const { status } = await postActivity(stack.botUrl, messageActivity(stack.connector.url, 'x'.repeat(1_100_000)));
    expect(status).toBe(413);
    expect(stack.connector.calls).toHaveLength(0);
  });

  it.each(PLACES)('should refuse an oversized attached requirements file in %s', async (_label, where) => {
    const stack = await stackFor();
    const attachments = [{ contentType: 'text/plain', name: 'requirements.txt', content: 'numpy\n'.repeat(20_000) }];
    const { replies } = await ask(stack, 'install chat-dev', 'alex', where, { attachments });
    expect(replies).toEqual(['The attached file is larger than 100 KB; a requirements file should be much smaller.']);
  });

  it.each(PLACES)('should not download an attachment over plain http in %s', async (_label, where) => {
    const stack = await stackFor();
    const attachments = [
      {
        contentType: 'application/vnd.microsoft.teams.file.download.info',
        name: 'requirements.txt',
        content: { downloadUrl: `${stack.serviceUrl}/v1/runtimes` },
      },
    ];
    const { replies } = await ask(stack, 'install chat-dev', 'alex', where, { attachments });
    expect(replies).toEqual(["I can't read the attachment requirements.txt; paste its lines instead."]);
  });
});

describe('user text echoed in replies', () => {
  // markdown.ts escapes user text so it cannot become links, mentions or formatting; error replies
  // echo names, verbs and service details too, and in a channel every member sees them.
  it.each(
    everywhere([
      { what: 'a link as a runtime name', text: 'status [Reset-your-password](https://evil.example/login)' },
      { what: 'a link as a verb', text: '[Click](https://evil.example/login)' },
      { what: 'a link in help', text: 'help [Click](https://evil.example/login)' },
      { what: 'an HTML tag as a verb', text: '<img src=x onerror=alert(1)>' },
      { what: 'an HTML tag as a name', text: 'reset <img src=x onerror=alert(1)>' },
    ]),
  )('should not turn $what into a link or markup in $place', async ({ text, where }) => {
    const stack = await stackFor();
    // The raw markdown the bot sent (visibleText would undo its escapes).
    const { replies } = await stack.say(text, 'alex', where);
    expect(replies).toHaveLength(1);
    expect(replies[0]).not.toMatch(/(?<!\\)\[[^\]]*(?<!\\)\]\((?:https?:)?\/\//);
    expect(replies[0]).not.toMatch(/(?<!\\)<\/?[a-z][^>]*>?/i);
  });

  it.each(PLACES)('should not turn a name into bold text in %s', async (_label, where) => {
    const stack = await stackFor();
    const { replies } = await stack.say('status **URGENT-call-555-0100**', 'alex', where);
    expect(replies[0]).toContain('There is no runtime named');
    expect(replies[0]).not.toMatch(/(?<!\\)\*\*URGENT/);
  });
});

describe('names that are URL dot segments', () => {
  // `.` and `..` in a path are resolved away by URL parsing, so the request would address
  // another resource than the runtime the user named.
  it.each(
    everywhere([
      { text: 'versions .', wrong: 'named version' },
      { text: 'status ..', wrong: 'route' },
      { text: 'reset ..', wrong: 'route' },
      { text: 'stop .', wrong: 'is having trouble' },
    ]),
  )('should answer $text about that name in $place', async ({ text, wrong, where }) => {
    const stack = await stackFor();
    const { status, replies } = await ask(stack, text, 'alex', where);
    expect(status).toBe(200);
    expect(replies).toHaveLength(1);
    expect(replies[0]).not.toContain(wrong);
    expect(await operations(stack)).toHaveLength(0);
  });

  // Whatever the bot sends, an unknown route must not throw out of the runtime service's
  // request handling: serviceMain has no handler, so the process would die.
  it.each([{ text: 'status ..' }, { text: 'reset ..' }, { text: 'stop .' }])(
    'should not crash the runtime service with $text',
    async ({ text }) => {
      const uncaught = watchUncaught();
      const stack = await stackFor();
      expect((await ask(stack, text)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 50)); // let a late exception surface
      expect(uncaught.map((e) => e.message)).toEqual([]);
    },
  );
});
