/**
 * Prompt flow's retirement through the whole product (real bot, real runtime service with the demo
 * runtimes, loopback Bot Connector, FakeClock at 2026-11-23 09:00 UTC, 148 days before 2027-04-20):
 * the summary's retirement line, the inventory card and its Stop buttons (through the approval rules),
 * the export, the frozen images, help and welcome, what the bot says after the day, and the notices,
 * once per conversation with two bot replicas.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BotApp, createBotApp } from '../../../src/channels/teams/app';
import { Verb } from '../../../src/core/actions/verbs';
import { createLogger } from '../../../src/logger';
import { messageActivity, postActivity } from '../../helpers/activities';
import { buttonVerbs, ISAIAH, startApprovalStack } from '../../helpers/approvalStack';
import { cardActions, validateCard } from '../../helpers/cardValidation';
import { botConfig, type Stack, startStack } from '../../helpers/stack';
import { ask, runtimeOf, visibleText } from './support';

const CHANNEL = { kind: 'channel' as const, conversationId: '19:runtime-ops@thread.tacv2' };
const PERSONAL = { kind: 'personal' as const };
const ADAPTIVE = 'application/vnd.microsoft.card.adaptive';

let stack: Stack;
beforeEach(async () => {
  stack = await startStack();
});
afterEach(async () => stack.close());

/** The one reply to a message: what it shows and its card. */
async function one(text: string, where: { kind: 'personal' | 'channel'; conversationId?: string } = PERSONAL) {
  const before = stack.connector.calls.length;
  const { replies } = await ask(stack, text, 'alex', where);
  expect(replies).toHaveLength(1);
  const call = stack.connector.calls.slice(before).find((c) => c.method === 'POST')!;
  const card = call.activity.attachments?.find((a) => a.contentType === ADAPTIVE)?.content;
  return { text: replies[0], card, markdown: call.activity.text ?? '' };
}

/** Clicks an Action.Execute on a card as Alex; returns what the answer shows. */
async function click(verb: string, data: Record<string, unknown>) {
  const activity = {
    ...messageActivity(stack.connector.url, '', 'alex'),
    type: 'invoke',
    name: 'adaptiveCard/action',
    text: undefined,
    replyToId: 'card-1',
    value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
  };
  const { status, body } = await postActivity(stack.botUrl, activity);
  const parsed = JSON.parse(body) as { type: string; value: unknown };
  expect(status).toBe(200);
  return {
    card: parsed.value,
    text: visibleText({ type: 'message', attachments: [{ contentType: ADAPTIVE, content: parsed.value }] }),
  };
}

describe('the on-call summary and the daily digest', () => {
  it.each([
    ['personal chat', PERSONAL],
    ['a channel', CHANNEL],
  ])('should show the days left and how many runtimes still exist in %s', async (_label, where) => {
    const { text, card } = await one('status', where);
    expect(text).toContain('Prompt flow retires on 20 April 2027: 148 days left. 5 runtimes still exist.');
    expect(validateCard(card)).toEqual([]);
    expect(cardActions(card).map((a) => a.verb)).toContain(Verb.RetirementPage);
  });

  it('should keep the line when the card is refreshed', async () => {
    const { text } = await click(Verb.RefreshSummary, {});
    expect(text).toContain('148 days left. 5 runtimes still exist.');
  });

  it('should put the line in the daily digest', async () => {
    await stack.say('subscribe digest', 'alex', CHANNEL);
    stack.clock.set(Date.parse('2026-11-24T08:00:00Z'));
    await stack.bot.notifications.runOnce();
    const digest = stack.connector.sent(CHANNEL.conversationId).at(-1)!;
    const text = visibleText(digest.activity);
    expect(text).toContain('Daily on-call digest');
    expect(text).toContain('Prompt flow retires on 20 April 2027: 147 days left. 5 runtimes still exist.');
  });
});

describe('the retirement command', () => {
  it('should answer the inventory card: every runtime, longest idle first, with its next step and Stop', async () => {
    const { text, card } = await one('retirement');
    expect(validateCard(card)).toEqual([]);
    expect(text).toContain('Prompt flow retirement');
    expect(text).toContain('3 to stop · 2 to export');
    expect(text).toContain('5 runtimes · longest idle first');
    // legacy-ocr (changed 40 days ago), ci-alex-runtime (10 days), then the three used in the last hour.
    const order = ['legacy-ocr', 'ci-alex-runtime', 'rag-eval', 'chat-dev', 'prod-chat'].map((n) =>
      text.indexOf(`${n} ·`),
    );
    expect(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]))).toBe(true);
    expect(text).toMatch(
      /legacy-ocr · Unavailable · Compute instance · Adele Vance\nLast use not recorded · idle 40 days\nStop it — It is unavailable/,
    );
    expect(text).toMatch(
      /ci-alex-runtime · Running · Compute instance · Alex Wilber\nLast use not recorded · idle 10 days\nStop it — Unused for 10 days/,
    );
    expect(text).toMatch(
      /rag-eval · Failed · Compute session · Alex Wilber\nLast used .* · idle less than a day\nStop it — It failed/,
    );
    expect(text).toMatch(
      /chat-dev · Running · Compute session · Alex Wilber\nLast used .* · idle less than a day\nExport its flow/,
    );
    expect(text).toMatch(/prod-chat · Running · Compute session · Megan Bowen\n/);
    expect(
      cardActions(card)
        .filter((a) => a.verb === Verb.Stop)
        .map((a) => a.data),
    ).toEqual(['legacy-ocr', 'ci-alex-runtime', 'rag-eval', 'chat-dev', 'prod-chat'].map((name) => ({ name })));
  });

  it('should work with the session prefix and its aliases, and refuse a page that does not exist', async () => {
    const plain = (await one('retirement')).text;
    expect((await one('session retirement')).text).toBe(plain);
    expect((await one('runtime migration')).text).toBe(plain);
    expect((await one('retirement --page 2')).text).toContain('There is only 1 page.');
    expect((await one('retirement --pages 2')).text).toMatch(/Unknown option .--pages./);
  });

  it('should stop a runtime from its Stop button, like any change, and list it no more', async () => {
    const answer = await click(Verb.Stop, { name: 'legacy-ocr' });
    expect(answer.text).toContain('Stopping legacy-ocr');
    await stack.settle();
    expect(await runtimeOf(stack, 'legacy-ocr')).toBeUndefined();
    const after = await click(Verb.RetirementPage, { page: 1 });
    expect(after.text).toContain('4 runtimes · longest idle first');
    expect(after.text).not.toContain('legacy-ocr');
  });

  it('should export every runtime as JSON lines', async () => {
    const { markdown } = await one('retirement --export');
    const block = /```\n([\s\S]*)\n```/.exec(markdown)?.[1] ?? '';
    const lines = block.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.name)).toEqual(['legacy-ocr', 'ci-alex-runtime', 'rag-eval', 'chat-dev', 'prod-chat']);
    expect(lines[0]).toEqual({
      name: 'legacy-ocr',
      type: 'computeInstance',
      status: 'Unavailable',
      owner: 'Adele Vance',
      ownerObjectId: '00000000-0000-0000-0000-0000000000022',
      lastUsedOn: null,
      idleSince: expect.stringMatching(/^2026-10-14T09:00:00/),
      idleDays: 40,
      nextStep: 'stop',
      advice: 'It is unavailable: export its flow if you still need it, then stop it.',
      imageVersion: expect.stringMatching(/^\d{8}\.v\d+$/),
    });
    expect(lines[3]).toMatchObject({ name: 'chat-dev', owner: 'Alex Wilber', nextStep: 'export', idleDays: 0 });
  });
});

describe('the Stop buttons and the approval rules', () => {
  it('should send a Stop of a prod-* runtime to approval, and show viewers no Stop at all', async () => {
    const approvals = await startApprovalStack();
    try {
      const alex = await approvals.say('retirement', 'alex');
      expect(buttonVerbs(alex.cards[0]).filter((v) => v === Verb.Stop)).toHaveLength(5);
      const answer = await approvals.click(Verb.Stop, { name: 'prod-chat' }, 'alex', alex.ids[0]);
      expect(answer.text).toMatch(/Stop prod-chat: approval \w+\nWaiting for approval · requested by Alex Wilber/);
      expect(answer.text).toContain('Approvers: <at>Megan Bowen</at>');
      expect(await approvals.operations('prod-chat', 'stop')).toEqual([]);
      const isaiah = await approvals.say('retirement', ISAIAH);
      expect(buttonVerbs(isaiah.cards[0])).not.toContain(Verb.Stop);
    } finally {
      await approvals.close();
    }
  });
});

describe('images, help and welcome', () => {
  it('should say in versions and in a version check that the images are frozen, and since when', async () => {
    const frozen =
      'The runtime images are frozen since 20 April 2026: no more updates, security fixes included. 20251211.v2 is the last image.';
    expect((await one('versions')).text).toContain(frozen);
    expect((await one('versions chat-dev')).text).toContain(frozen);
  });

  it('should mention the retirement in one line in help and in the welcome card', async () => {
    const line =
      'Prompt flow in Azure Machine Learning retires on 20 April 2027 (148 days left): say retirement for your runtimes and the move to Microsoft Agent Framework.';
    expect((await one('help')).text).toContain(line);
    expect((await one('help')).text).toContain('after the word runtime or session');
    const before = stack.connector.calls.length;
    const added = {
      ...messageActivity(stack.connector.url, '', 'alex'),
      type: 'conversationUpdate',
      text: undefined,
      membersAdded: [{ id: '28:bot-id' }],
    };
    expect((await postActivity(stack.botUrl, added)).status).toBe(200);
    const welcome = stack.connector.calls.slice(before).find((c) => c.method === 'POST');
    expect(visibleText(welcome?.activity)).toContain(line);
  });
});

describe('after the retirement day', () => {
  it('should say plainly what still works and what does not', async () => {
    stack.clock.set(Date.parse('2027-05-01T09:00:00Z'));
    const summary = (await one('status')).text;
    expect(summary).toContain('Prompt flow retired on 20 April 2027. 5 runtimes still exist.');
    expect(summary).toContain(
      'Still works: the local emulator, with every command; the audit trail (audit, audit --export); exports (retirement --export).',
    );
    expect(summary).toContain(
      'No longer works: Azure Machine Learning prompt flow runtimes and compute sessions; the prompt flow pages of the studio; new runtime images.',
    );
    const inventory = (await one('retirement')).text;
    expect(inventory).toContain('5 to stop');
    expect((await one('help')).text).toContain('retired on 20 April 2027: say retirement for what still works.');
    // The emulator and the audit trail still answer.
    expect((await one('status chat-dev')).text).toContain('chat-dev');
    expect((await one('versions')).text).toContain('its runtime images are gone; 20251211.v2 was the last.');
  });
});

describe('the retirement notices', () => {
  let replica: BotApp | undefined;
  afterEach(async () => {
    await replica?.stop();
    replica = undefined;
  });

  const noticesIn = (conversationId: string) =>
    stack.connector
      .sent(conversationId)
      .map((c) => visibleText(c.activity))
      .filter((t) => t.startsWith('Prompt flow retires in'));

  it('should reach every subscribed conversation once, with two bot replicas producing and sending', async () => {
    replica = createBotApp({
      config: botConfig(),
      storage: stack.botStorage,
      log: createLogger('silent'),
      serviceUrl: stack.serviceUrl,
      clock: stack.clock,
      runTracker: false,
    });
    await replica.start();
    await stack.say('subscribe digest', 'alex', CHANNEL);
    await stack.say('subscribe failures', 'alex', PERSONAL);
    await Promise.all([stack.bot.notifications.runOnce(), replica.notifications.runOnce()]);
    expect(noticesIn(CHANNEL.conversationId)).toEqual([]); // 148 days left: nothing due

    stack.clock.set(Date.parse('2027-01-20T10:00:00Z')); // 90 days before
    await Promise.all([stack.bot.notifications.runOnce(), replica.notifications.runOnce()]);
    await Promise.all([stack.bot.notifications.runOnce(), replica.notifications.runOnce()]);
    for (const conversation of [CHANNEL.conversationId, 'a:personal-alex']) {
      const notices = noticesIn(conversation);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toContain('Prompt flow retires in 90 days');
      expect(notices[0]).toContain('retires on 20 April 2027. 5 runtimes still exist.');
    }

    stack.clock.set(Date.parse('2027-03-21T10:00:00Z')); // 30 days before
    await Promise.all([stack.bot.notifications.runOnce(), replica.notifications.runOnce()]);
    expect(noticesIn(CHANNEL.conversationId)).toEqual([
      expect.stringContaining('in 90 days'),
      expect.stringContaining('in 30 days'),
    ]);
  });
});
