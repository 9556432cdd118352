/**
 * Every change the bot sends carries an Idempotency-Key, so that a retry after a lost answer gets
 * the first operation back. Each path that changes a runtime runs through a proxy that lets the
 * change through to the service but answers the bot 503 (a gateway that gave up waiting): the bot
 * must retry with the same key, the service must start exactly one operation, and the user must
 * see that operation, not an error. Paths: the typed commands, the card buttons and forms, the
 * Retry button, the Upgrade button of a version notice, and an approval's execution.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Verb } from '../../../src/core/actions/verbs';
import type { OperationRecord } from '../../../src/service/model';
import { messageActivity, postActivity } from '../../helpers/activities';
import { startApprovalStack } from '../../helpers/approvalStack';
import { cardActions } from '../../helpers/cardValidation';
import { LossyProxy } from '../../helpers/lossyProxy';
import { type Stack, startStack } from '../../helpers/stack';

const ALEX = { objectId: '00000000-0000-0000-0000-0000000000020', name: 'Alex Wilber' };
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function lossyStack(): Promise<{ stack: Stack; proxy: LossyProxy }> {
  let proxy!: LossyProxy;
  const stack = await startStack({
    via: async (serviceUrl) => {
      proxy = await LossyProxy.start(serviceUrl);
      return proxy.url;
    },
  });
  cleanups.push(async () => {
    await stack.close();
    await proxy.stop();
  });
  return { stack, proxy };
}

/** Clicks an Action.Execute button as Alex in his 1:1 chat; returns what the card turned into. */
async function click(stack: Stack, verb: string, data: Record<string, unknown>): Promise<string> {
  const activity = {
    ...messageActivity(stack.connector.url, '', 'alex'),
    type: 'invoke',
    name: 'adaptiveCard/action',
    text: undefined,
    replyToId: `card-${verb}`,
    value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
  };
  const { status, body } = await postActivity(stack.botUrl, activity);
  expect(status).toBe(200);
  return body;
}

/** Says a command as Alex; returns everything the bot posted, as JSON text. */
async function say(stack: Stack, text: string): Promise<string> {
  const before = stack.connector.calls.length;
  const { status } = await stack.say(text);
  expect(status).toBe(200);
  return JSON.stringify(stack.connector.calls.slice(before).map((c) => c.activity));
}

async function operationsOf(stack: Stack, kind: string, runtime: string): Promise<OperationRecord[]> {
  return (await stack.service.engine.operations.all()).filter((op) => op.kind === kind && op.runtimeName === runtime);
}

/**
 * The change reached the service more than once, always with one key; the first answer was lost,
 * the retry got 202; the service started one operation, and the user was shown that one.
 */
async function expectOneOperation(
  stack: Stack,
  proxy: LossyProxy,
  kind: string,
  runtime: string,
  shown: string,
  key?: string,
): Promise<void> {
  const sent = proxy.changes().filter((c) => c.path.includes(`/v1/runtimes/${runtime}`));
  expect(sent.length).toBeGreaterThanOrEqual(2);
  expect(sent[0].idempotencyKey).toMatch(/^[\x21-\x7e]{8,200}$/);
  expect(new Set(sent.map((c) => c.idempotencyKey))).toEqual(new Set([sent[0].idempotencyKey]));
  if (key) expect(sent[0].idempotencyKey).toBe(key);
  expect(sent[0]).toMatchObject({ status: 202, answered: 503 });
  expect(sent.at(-1)).toMatchObject({ status: 202, answered: 202 });
  const ops = await operationsOf(stack, kind, runtime);
  expect(ops).toHaveLength(1);
  expect(shown).toContain(ops[0].id);
  expect(shown).not.toMatch(/can't reach|went wrong|busy/i);
}

describe('typed commands', () => {
  it.each([
    ['create', 'create idem-new --vm-size Standard_E4ds_v4', 'idem-new'],
    ['install', 'install chat-dev numpy', 'chat-dev'],
    ['update', 'update chat-dev --idle 90', 'chat-dev'],
    ['reset', 'reset chat-dev', 'chat-dev'],
    ['stop', 'stop chat-dev', 'chat-dev'],
  ])('should send %s with a key and show the first operation after a lost answer', async (kind, text, runtime) => {
    const { stack, proxy } = await lossyStack();
    const shown = await say(stack, text);
    await expectOneOperation(stack, proxy, kind, runtime, shown);
  });

  it('should send upgrade with a key and show the first operation after a lost answer', async () => {
    const { stack, proxy } = await lossyStack();
    await stack.service.versions.publish('20991231.v1', undefined, ALEX);
    const shown = await say(stack, 'upgrade chat-dev');
    await expectOneOperation(stack, proxy, 'upgrade', 'chat-dev', shown);
  });

  it('should reuse the key when the user sends a failed command again, and get the first operation', async () => {
    const { stack, proxy } = await lossyStack();
    proxy.loseEverything = true; // the bot retries, then gives up and says so; the reset did start
    expect(await say(stack, 'reset chat-dev')).toMatch(/can't reach/);
    expect(await operationsOf(stack, 'reset', 'chat-dev')).toHaveLength(1);
    proxy.loseEverything = false;
    const again = await say(stack, 'reset chat-dev');
    const ops = await operationsOf(stack, 'reset', 'chat-dev');
    expect(ops).toHaveLength(1);
    expect(again).toContain(ops[0].id);
    expect(new Set(proxy.changes().map((c) => c.idempotencyKey)).size).toBe(1);
  });
});

describe('card actions', () => {
  it.each([
    [Verb.Reset, 'reset'],
    [Verb.Stop, 'stop'],
  ])('should send the %s button with a key and show the first operation', async (verb, kind) => {
    const { stack, proxy } = await lossyStack();
    const shown = await click(stack, verb, { name: 'chat-dev' });
    await expectOneOperation(stack, proxy, kind, 'chat-dev', shown);
  });

  it('should send the Upgrade button of the detail card with a key', async () => {
    const { stack, proxy } = await lossyStack();
    await stack.service.versions.publish('20991231.v1', undefined, ALEX);
    const shown = await click(stack, Verb.Upgrade, { name: 'chat-dev' });
    await expectOneOperation(stack, proxy, 'upgrade', 'chat-dev', shown);
  });

  it('should send the create form with a key', async () => {
    const { stack, proxy } = await lossyStack();
    const shown = await click(stack, Verb.SubmitCreate, {
      type: 'automatic',
      name: 'idem-card',
      vmSize: 'Standard_E4ds_v4',
      idleTimeMinutes: '60',
      description: '',
    });
    await expectOneOperation(stack, proxy, 'create', 'idem-card', shown);
  });

  it('should send the install form with a key', async () => {
    const { stack, proxy } = await lossyStack();
    const shown = await click(stack, Verb.SubmitInstall, {
      name: 'chat-dev',
      requirements: 'numpy',
      saveOnly: 'false',
    });
    await expectOneOperation(stack, proxy, 'install', 'chat-dev', shown);
  });

  it('should send the edit form with a key', async () => {
    const { stack, proxy } = await lossyStack();
    const shown = await click(stack, Verb.SubmitEdit, { name: 'chat-dev', idleTimeMinutes: '90' });
    await expectOneOperation(stack, proxy, 'update', 'chat-dev', shown);
  });

  it('should send the Retry button of a failed operation with a key', async () => {
    const { stack, proxy } = await lossyStack();
    const shown = await click(stack, Verb.Retry, { kind: 'reset', name: 'rag-eval' });
    await expectOneOperation(stack, proxy, 'reset', 'rag-eval', shown);
  });

  it('should send the Upgrade button of a version notice with a key', async () => {
    const { stack, proxy } = await lossyStack();
    const channel = { kind: 'channel' } as const;
    await stack.say('subscribe versions', 'alex', channel);
    await stack.bot.notifications.runOnce(); // the cursor starts at the log's head
    await stack.service.versions.publish('20991231.v1', 'A test release', ALEX);
    await stack.service.events.settled();
    const before = stack.connector.calls.length;
    await stack.bot.notifications.runOnce();
    const notice = stack.connector.calls
      .slice(before)
      .flatMap((c) => c.activity.attachments ?? [])
      .map((a) => a.content)
      .find((card) => JSON.stringify(card).includes('New base image version'));
    expect(notice).toBeDefined();
    const upgrade = cardActions(notice).find(
      (a) => a.verb === Verb.Upgrade && (a.data as { name?: string })?.name === 'chat-dev',
    );
    expect(upgrade).toBeDefined();
    const shown = await click(stack, Verb.Upgrade, upgrade!.data as Record<string, unknown>);
    await expectOneOperation(stack, proxy, 'upgrade', 'chat-dev', shown);
  });
});

describe('approvals', () => {
  it('should execute an approved request with the key approval-<id>, once, after a lost answer', async () => {
    let proxy!: LossyProxy;
    const approvals = await startApprovalStack(undefined, {
      via: async (serviceUrl) => {
        proxy = await LossyProxy.start(serviceUrl);
        return proxy.url;
      },
    });
    cleanups.push(async () => {
      await approvals.close();
      await proxy.stop();
    });
    const { id, messageId } = await approvals.request('reset chat-dev', 'alex');
    expect(await operationsOf(approvals.stack, 'reset', 'chat-dev')).toEqual([]);
    const answer = await approvals.click(Verb.Approve, { approvalId: id }, 'megan', messageId);
    expect(answer.status).toBe(200);
    const [op] = await operationsOf(approvals.stack, 'reset', 'chat-dev');
    await expectOneOperation(
      approvals.stack,
      proxy,
      'reset',
      'chat-dev',
      JSON.stringify(answer.value),
      `approval-${id}`,
    );
    expect((await approvals.record(id)).operationId).toBe(op.id);
  });
});
