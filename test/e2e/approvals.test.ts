/**
 * Approvals end to end, in a browser, as a new user would meet them with the demo policy
 * (playground/policy.yaml): Alex Wilber (dataScientist) asks to reset chat-dev, which needs one owner's
 * approval; he cannot approve it himself; the view switches to Megan Bowen (owner), who approves; the card
 * turns into the progress card and follows the reset until chat-dev runs again; the service ran one reset;
 * `audit chat-dev` tells the story. Then Megan rejects a second request with a reason that Alex sees.
 *
 * The stack: the runtime service (demo data, the emulator at 0.15 speed, real time) and the bot with the demo
 * policy, over real HTTP; one Microsoft 365 Agents Playground with the product's config; two Chromium windows
 * on it, Alex's and Megan's, both in the group chat "Flow Builders" (Alex, Megan, Adele, ...). Why a group
 * chat and two windows on one Playground (see support/approvalsStack.ts): both windows get every bot message,
 * so both show the same request card, updated in place for both, and card actions clicked in Megan's window
 * reach the bot as Megan. A channel does not work for this: a thread that Alex starts from his window is not
 * in Megan's, and neither are the bot's replies in it. A second Playground would not show Alex's card at all.
 *
 *   npx vitest run test/e2e/approvals.test.ts                          # screenshots in test-results/e2e/
 *   UPDATE_SCREENSHOTS=1 npx vitest run test/e2e/approvals.test.ts     # also refreshes docs/screenshots/13-*
 */
import { afterAll, beforeAll, describe, expect, it, type TestContext, vi } from 'vitest';
import type { AuditEntry } from '../../src/core/audit/auditLog';
import { chromiumPath, openPlayground, type PlaygroundPage } from './harness/browser';
import { type PlaygroundHandle, startPlayground } from './harness/playground';
import { PEOPLE } from '../helpers/activities';
import { DEMO_POLICY } from '../helpers/approvalStack';
import { invokeAs, openGroupChat, openPlaygroundAs } from './support/approvalsStack';
import { Chat } from './support/chat';
import {
  createRuntimeViaApi,
  type ProductStack,
  productPlaygroundYaml,
  startProductStack,
  waitForOperation,
} from './support/productStack';

const TEST_TIMEOUT = 90_000;
// Three Chromium page loads of the Playground's 9 MB bundle on a busy 2-CPU machine.
const SETUP_TIMEOUT = 180_000;
/** A reset at 0.15 speed takes a few seconds; its events reach the tracker within a second; the machine is slow. */
const OPERATION_TIMEOUT = 45_000;
/** The tracker records the result of an executed request when its operation ends (the sweep every 10 s if none follows it). */
const RESULT_TIMEOUT = 40_000;
const GROUP_CHAT = 'Flow Builders';
const GROUP_CHAT_ID = 'group-chat-id';
const REASON = 'not during the release freeze';
/** The runtime of the request that Megan rejects. */
const SECOND = 'chat-e2e';

const chromium = chromiumPath();
const onCi = process.env.CI === 'true';

if (!chromium && !onCi) {
  console.warn('[e2e] skipping the approvals e2e tests: /usr/bin/chromium is absent (apt-get install -y chromium)');
}

// On CI a missing browser is a broken runner, not a reason to go green.
describe.runIf(!chromium && onCi)('approvals e2e prerequisites', () => {
  it('has Chromium', () => {
    expect.fail('Chromium is required for e2e tests on CI: /usr/bin/chromium is absent (apt-get install -y chromium)');
  });
});

/** The state word of a progress card: "In progress", "Queued", "Done" or "Failed" (first line after the title). */
function progressState(text: string): string | undefined {
  return /(?:^|\n)\s*(In progress|Queued|Done|Failed) · /.exec(text)?.[1];
}

const isDone = (text: string) => progressState(text) === 'Done';

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, why: () => string): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await probe();
      if (value === undefined) throw new Error(why());
      return value;
    },
    { interval: 250, timeout: timeoutMs },
  );
}

describe.skipIf(!chromium)('approvals in the Agents Playground: Alex asks, Megan decides', () => {
  let stack: ProductStack | undefined;
  let pg: PlaygroundHandle | undefined;
  let alexUi: PlaygroundPage | undefined;
  let meganUi: PlaygroundPage | undefined;
  let alex: Chat;
  let megan: Chat;
  const started = Date.now();

  /** The first request (approved in scenario 3): its id, and the seq of its card in each window. */
  const first = { id: '', alexSeq: 0, meganSeq: 0, postedButtons: [] as string[] };

  beforeAll(async () => {
    stack = await startProductStack({ policyFile: DEMO_POLICY });
    pg = await startPlayground({ botEndpoint: stack.botEndpoint, configYaml: productPlaygroundYaml() });
    const viewport = { width: 1280, height: 900 };
    alexUi = await openPlayground(pg.url, { viewport, timeoutMs: 30_000 });
    alex = new Chat(alexUi);
    // The Playground installs the bot on load: the welcome card says the bot is reachable.
    await alex.waitForNew(0, 'Hi! I manage prompt flow runtimes', 60_000);
    meganUi = await openPlaygroundAs(pg.url, PEOPLE.megan, { viewport, timeoutMs: 30_000 });
    megan = new Chat(meganUi);
    await alex.hideLogPanel();
    await megan.hideLogPanel();
    // Both open the group chat before anything is said there: a window keeps only what came while it was open.
    await openGroupChat(alexUi, GROUP_CHAT);
    await openGroupChat(meganUi, GROUP_CHAT);
    console.log(
      `[e2e] service + bot (demo policy) + Playground + 2 Chromium windows ready in ${Date.now() - started} ms`,
    );
  }, SETUP_TIMEOUT);

  afterAll(async () => {
    await meganUi?.close();
    await alexUi?.close();
    await pg?.stop();
    await stack?.stop();
    console.log(`[e2e] approvals suite total ${Date.now() - started} ms`);
  }, TEST_TIMEOUT);

  /** On failure: a screenshot of each window, the Playground's output and the product's warnings. */
  function onFailure(ctx: TestContext, name: string): void {
    const t0 = Date.now();
    ctx.onTestFailed(async () => {
      await alex?.shot(`${name}-failure-alex`, undefined, { docs: false }).catch(() => undefined);
      await megan?.shot(`${name}-failure-megan`, undefined, { docs: false }).catch(() => undefined);
      const problems = (stack?.logs ?? []).filter((l) => l.level === 'warn' || l.level === 'error').slice(-20);
      console.error(`[e2e] ${name} failed after ${Date.now() - t0} ms`);
      console.error(`[e2e] product warnings and errors:\n${problems.map((l) => JSON.stringify(l)).join('\n')}`);
      console.error(`[e2e] Playground output (tail):\n${pg?.output().slice(-3000)}`);
    });
  }

  async function resetOperations() {
    return (await stack!.service.engine.operations.all()).filter(
      (op) => op.runtimeName === 'chat-dev' && op.kind === 'reset',
    );
  }

  async function auditOf(approvalId: string): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    for await (const line of stack!.bot.audit.export()) entries.push(JSON.parse(line) as AuditEntry);
    return entries.filter((e) => e.approvalId === approvalId);
  }

  async function runtimeStatus(): Promise<string> {
    const res = await fetch(`${stack!.serviceUrl}/v1/runtimes/chat-dev`);
    return ((await res.json()) as { status: string }).status;
  }

  /** The request card with this id in a window, the first bot message after `after` that shows it. */
  async function requestCard(chat: Chat, after: number, id: string, runtime = 'chat-dev') {
    return chat.waitForNew(after, (t) => t.includes(`Reset ${runtime}: approval ${id}`));
  }

  it(
    '1. Alex asks to reset chat-dev: an approval card, waiting for Megan, says what will change',
    async (ctx) => {
      onFailure(ctx, '13-requested');
      const beforeMegan = await megan.mark();
      const card = await alex.ask('reset chat-dev', /Reset chat-dev: approval [A-Z0-9]+/, { mention: true });
      first.id = /Reset chat-dev: approval ([A-Z0-9]+)/.exec(card.text)![1];
      first.alexSeq = card.seq;
      const text = card.text;
      expect(text).toMatch(/Waiting for approval · requested by Alex Wilber/);
      expect(text).toContain('What will change');
      expect(text).toMatch(/Runtime\s+Running\s*→\s*deleted and recreated with the same environment/);
      expect(text).toMatch(/Needs 1 approval from the owner role · expires/);
      // The mention renders as the name (no raw <at> tags), and names the approver, not the requester.
      expect(text).toMatch(/Approvers: Megan Bowen(\n|$)/);
      expect(text).not.toContain('<at>');
      expect(text).toContain(`Request ${first.id}`);
      // Everyone can ask the card for their own options; what else the posted card offers depends on whose
      // view it is (the bot decides every click on the server anyway, see scenario 2).
      first.postedButtons = await alex.buttons(card.seq);
      expect(first.postedButtons).toContain('Show my options');
      await alex.shot('13-approval-requested', card.seq);

      // Megan's window shows the same card (the bot posted it once, to the group chat).
      const hers = await requestCard(megan, beforeMegan, first.id);
      first.meganSeq = hers.seq;
      expect(hers.text).toContain('Waiting for approval');

      // Nothing ran: the request waits.
      expect(await resetOperations()).toEqual([]);
      expect(await runtimeStatus()).toBe('Running');
      const record = await stack!.bot.approvals.requests.get(first.id);
      expect(record).toMatchObject({
        status: 'pending',
        kind: 'reset',
        runtimeName: 'chat-dev',
        requester: { objectId: PEOPLE.alex.aadObjectId },
        approverRole: 'owner',
        approvalsRequired: 1,
        votes: [],
      });
      expect(Date.parse(record!.expiresAt) - Date.parse(record!.createdOn)).toBe(60 * 60_000);
    },
    TEST_TIMEOUT,
  );

  it(
    '1b. the card shows when the request expires as a date and time, not as a raw {{DATE()}} template',
    async (ctx) => {
      onFailure(ctx, '13-expiry');
      expect(first.id, 'scenario 1 made a request').not.toBe('');
      const text = (await alex.message(first.alexSeq)).text;
      const expires = /expires ([^\n]*)/.exec(text)?.[1] ?? '';
      // Adaptive Cards format {{DATE(...)}}/{{TIME(...)}} only for RFC 3339 instants without fractions of a
      // second; the card's other times go through cardTime(), which strips them.
      expect(expires, 'the expiry on the approval card').not.toContain('{{');
      expect(expires).not.toMatch(/\d{2}:\d{2}:\d{2}\.\d+Z/);
    },
    TEST_TIMEOUT,
  );

  it(
    '2. Alex cannot approve his own request: no Approve button for him, and "approve <id>" is refused',
    async (ctx) => {
      onFailure(ctx, '13-self-refused');
      expect(first.id, 'scenario 1 made a request').not.toBe('');
      // The card posted for everyone may offer Approve: clicked by the requester, it is refused.
      if (first.postedButtons.includes('Approve')) {
        const clicked = await alex.click(first.alexSeq, 'Approve');
        // A message answer (not a card): the card stays, and the text shows under it (the Playground's notice).
        expect(clicked.type).toBe('application/vnd.microsoft.activity.message');
        expect(JSON.stringify(clicked.value)).toContain('You cannot approve or reject your own request');
        const notice = await until(
          async () => (await alex.message(first.alexSeq)).notice,
          10_000,
          () => 'no notice under the card after the Approve click',
        );
        expect(notice).toContain('You cannot approve or reject your own request');
        await alex.shot('13-approval-self-approve-click', first.alexSeq);
      } else {
        console.log(`[e2e] the posted card offers ${first.postedButtons.join(', ')}: no Approve to click as Alex`);
      }
      const answer = await alex.click(first.alexSeq, 'Show my options');
      expect(answer.type).toBe('application/vnd.microsoft.card.adaptive');
      const mine = await alex.follow(first.alexSeq, `Reset chat-dev: approval ${first.id}`);
      expect(mine).toContain('Waiting for approval');
      const buttons = await alex.buttons(first.alexSeq);
      expect(buttons).not.toContain('Approve');
      expect(buttons).not.toContain('Reject');
      expect(buttons).toContain('Cancel request');
      expect(mine).not.toContain('Reason (needed to reject)');

      const refused = await alex.ask(`approve ${first.id}`, /own request/, { mention: true });
      expect(refused.text).toMatch(/You cannot approve or reject your own request; another approver has to\./);
      expect(refused.cards).toEqual([]);
      await alex.shot('13-approval-self-refused', refused.seq);

      // Still pending, no vote, nothing ran.
      expect(await stack!.bot.approvals.requests.get(first.id)).toMatchObject({ status: 'pending', votes: [] });
      expect(await resetOperations()).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    '3. Megan approves: the card becomes the progress card and follows the reset until chat-dev runs again; one reset ran',
    async (ctx) => {
      onFailure(ctx, '13-approved');
      expect(first.id, 'scenario 1 made a request').not.toBe('');
      // Her own options: Approve and Reject (with a reason), and no Cancel (the request is not hers).
      const options = await megan.click(first.meganSeq, 'Show my options');
      expect(options.type).toBe('application/vnd.microsoft.card.adaptive');
      const json = JSON.stringify(options.value);
      expect(json, 'the card mentions Megan by her Entra object id').toContain(
        `"mentioned":{"id":"${PEOPLE.megan.aadObjectId}","name":"Megan Bowen"}`,
      );
      const view = await megan.follow(first.meganSeq, 'Reason (needed to reject)');
      expect(view).toContain('Waiting for approval');
      const buttons = await megan.buttons(first.meganSeq);
      expect(buttons).toEqual(expect.arrayContaining(['Approve', 'Reject', 'Show my options']));
      expect(buttons).not.toContain('Cancel request');
      await megan.shot('13-approval-approver-view', first.meganSeq);

      // What the service reports while the card is followed: the runtime's own states.
      const statuses: string[] = [];
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          const status = await runtimeStatus().catch(() => 'unreachable');
          if (statuses.at(-1) !== status) statuses.push(status);
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      let done: string;
      let midway = false;
      try {
        const approved = await megan.click(first.meganSeq, 'Approve');
        // The click's answer replaces the request card with the progress card, still in progress.
        expect(approved.type).toBe('application/vnd.microsoft.card.adaptive');
        expect(JSON.stringify(approved.value)).toContain('Resetting chat-dev (approved)');
        expect(JSON.stringify(approved.value)).toMatch(/"text":"(In progress|Queued)"/);
        const now = (await megan.message(first.meganSeq)).text;
        if (progressState(now) !== 'Done') {
          midway = true;
          await megan.shot('13-approval-approved-progress', first.meganSeq);
        }
        expect(now).toContain('Resetting chat-dev (approved)');
        done = await megan.follow(first.meganSeq, isDone, OPERATION_TIMEOUT);
      } finally {
        watching = false;
        await watcher;
      }
      if (!midway) console.warn('[e2e] approve: the card was Done before a progress screenshot could be taken');
      expect(done).toMatch(/Reset on chat-dev · by Alex Wilber/); // it runs as the requester
      const resetting = done.indexOf('Deleting chat-dev to recreate it with the same environment');
      expect(resetting).toBeGreaterThan(-1);
      expect(done.indexOf('chat-dev is running')).toBeGreaterThan(resetting);
      await megan.shot('13-approval-done-approver', first.meganSeq, { docs: false });

      // Alex's card changed in place too (the bot updates the request's message for everyone), no new message.
      const alexBots = (await alex.botMessages()).length;
      const alexDone = await alex.follow(first.alexSeq, isDone, OPERATION_TIMEOUT);
      expect(alexDone).toContain('Resetting chat-dev (approved)');
      expect(alexDone).toContain('chat-dev is running');
      expect((await alex.botMessages()).length).toBe(alexBots);
      await alex.shot('13-approval-done', first.alexSeq);

      // The service: chat-dev went through Resetting back to Running, by exactly one reset, the approved one.
      expect(statuses).toContain('Resetting');
      expect(statuses.at(-1)).toBe('Running');
      expect(await runtimeStatus()).toBe('Running');
      const ops = await resetOperations();
      expect(ops).toHaveLength(1);
      expect(ops[0]).toMatchObject({
        status: 'Succeeded',
        idempotencyKey: `approval-${first.id}`,
        requestedBy: { objectId: PEOPLE.alex.aadObjectId },
      });

      // Megan's click, sent again (a retry, a double click): still one reset.
      const record = await stack!.bot.approvals.requests.get(first.id);
      expect(record?.messageId).toBeTruthy();
      const again = await invokeAs(pg!.url, {
        fromId: PEOPLE.megan.id,
        conversationId: GROUP_CHAT_ID,
        replyToId: record!.messageId!,
        verb: 'approval.approve',
        data: { approvalId: first.id },
      });
      expect(JSON.stringify(again)).not.toContain('Waiting for approval');
      expect(await resetOperations()).toHaveLength(1);

      // The tracker records the result when the reset ends: the request ends as succeeded.
      const final = await until(
        async () => {
          const r = await stack!.bot.approvals.requests.get(first.id);
          return r?.status === 'succeeded' ? r : undefined;
        },
        RESULT_TIMEOUT,
        () => `request ${first.id} did not end as succeeded`,
      );
      expect(final.operationId).toBe(ops[0].id);
      expect(final.votes.map((v) => v.objectId)).toEqual([PEOPLE.megan.aadObjectId]);
    },
    TEST_TIMEOUT,
  );

  it(
    '4. audit chat-dev shows the request, the denial, the approval and the execution',
    async (ctx) => {
      onFailure(ctx, '13-audit');
      expect(first.id, 'scenario 1 made a request').not.toBe('');
      const entries = await auditOf(first.id);
      // One denial for each of Alex's tries in scenario 2: the click on Approve (when the card offered it), the typed one.
      const denials = first.postedButtons.includes('Approve') ? 2 : 1;
      expect(entries.map((e) => [e.action, e.actor.name])).toEqual([
        ['request', 'Alex Wilber'],
        ...Array.from({ length: denials }, () => ['deny', 'Alex Wilber']),
        ['approve', 'Megan Bowen'],
        ['execute', 'system'],
        ['result', 'system'],
      ]);

      const reply = await alex.ask('audit chat-dev', 'Audit trail of chat-dev', { mention: true });
      const lines = reply.text.split('\n').filter((l) => l.includes(first.id));
      const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
      const request = at(/Alex Wilber · request reset chat-dev · request/);
      const denial = at(
        /Alex Wilber · deny reset chat-dev · request \S+ · You cannot approve or reject your own request/,
      );
      const approval = at(/Megan Bowen · approve reset chat-dev · request/);
      const execution = at(/system · execute reset chat-dev · request/);
      const result = at(/system · result reset chat-dev · request/);
      for (const [what, index] of Object.entries({ request, denial, approval, execution, result }))
        expect(index, `${what} in:\n${reply.text}`).toBeGreaterThan(-1);
      expect(lines.filter((l) => / · deny reset chat-dev /.test(l))).toHaveLength(denials);
      // Newest first.
      expect(result).toBeLessThan(execution);
      expect(execution).toBeLessThan(approval);
      expect(approval).toBeLessThan(denial);
      expect(denial).toBeLessThan(request);
      await alex.shot('13-approval-audit', reply.seq);
    },
    TEST_TIMEOUT,
  );

  it(
    '5. Megan rejects a second request with a reason; Alex sees it on his card and nothing runs',
    async (ctx) => {
      onFailure(ctx, '13-rejected');
      // Another chat-* runtime (creating one needs no approval): a second `reset chat-dev` within a minute of the
      // first would be taken for a redelivery of the first.
      await waitForOperation(stack!.serviceUrl, await createRuntimeViaApi(stack!.serviceUrl, SECOND), 60_000);
      const beforeMegan = await megan.mark();
      const card = await alex.ask(`reset ${SECOND}`, new RegExp(`Reset ${SECOND}: approval [A-Z0-9]+`), {
        mention: true,
      });
      const id = new RegExp(`Reset ${SECOND}: approval ([A-Z0-9]+)`).exec(card.text)![1];
      expect(id).not.toBe(first.id);
      const hers = await requestCard(megan, beforeMegan, id, SECOND);

      await megan.click(hers.seq, 'Show my options');
      await megan.follow(hers.seq, 'Reason (needed to reject)');
      await megan.fill(hers.seq, 'Reason (needed to reject)', REASON);
      const rejected = await megan.click(hers.seq, 'Reject');
      expect(rejected.type).toBe('application/vnd.microsoft.card.adaptive');
      const herView = await megan.follow(hers.seq, `Rejected by Megan Bowen: ${REASON}`);
      expect(herView).toMatch(/Rejected · requested by Alex Wilber/);

      // Alex's card says so, in place, with no buttons left to vote or cancel.
      const alexView = await alex.follow(card.seq, `Rejected by Megan Bowen: ${REASON}`);
      expect(alexView).toMatch(/Rejected · requested by Alex Wilber/);
      const buttons = await alex.buttons(card.seq);
      expect(buttons).not.toContain('Cancel request');
      expect(buttons).not.toContain('Approve');
      expect(buttons).not.toContain('Reject');
      await alex.shot('13-approval-rejected', card.seq);

      expect(await stack!.bot.approvals.requests.get(id)).toMatchObject({
        status: 'rejected',
        rejection: { by: { objectId: PEOPLE.megan.aadObjectId }, reason: REASON },
      });
      const resets = (await stack!.service.engine.operations.all()).filter(
        (op) => op.runtimeName === SECOND && op.kind === 'reset',
      );
      expect(resets).toEqual([]);
      expect(await resetOperations()).toHaveLength(1); // chat-dev: only the approved one, from scenario 3
      const entries = await auditOf(id);
      expect(entries.map((e) => e.action)).toEqual(['request', 'reject']);
      expect(entries[1]).toMatchObject({ actor: { name: 'Megan Bowen' }, details: { reason: REASON } });
    },
    TEST_TIMEOUT,
  );
});
