/**
 * The product end to end, in a browser: the runtime service (demo data, the emulator at 0.15 speed, real
 * time) and the bot over real HTTP, the Microsoft 365 Agents Playground with the product's own config
 * (Alex Wilber in a personal chat, team ML Platform with channel Runtime Ops), and headless Chromium typing
 * and clicking as a user would. The scenarios run in order and share state: each builds on the last.
 *
 *   npx vitest run test/e2e/product.test.ts                          # screenshots in test-results/e2e/
 *   UPDATE_SCREENSHOTS=1 npx vitest run test/e2e/product.test.ts     # also refreshes docs/screenshots/
 */
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { RETIREMENT_DEFAULTS } from '../../src/config';
import { COMMANDS } from '../../src/core/commands/registry';
import { dayStart, daysUntil } from '../../src/core/retirement/calendar';
import { chromiumPath, openPlayground, type PlaygroundPage } from './harness/browser';
import { type PlaygroundHandle, sendMessageAs, startPlayground } from './harness/playground';
import { PEOPLE } from '../helpers/activities';
import { Chat } from './support/chat';
import {
  createRuntimeViaApi,
  listRuntimes,
  type ProductStack,
  productPlaygroundYaml,
  startProductStack,
  TEAM,
  waitForOperation,
} from './support/productStack';

const TEST_TIMEOUT = 90_000;
// Chromium needs 5-20 s to evaluate the Playground's 9 MB bundle on a busy 2-CPU machine.
const SETUP_TIMEOUT = 180_000;
/** An operation at 0.15 speed takes about a second; its events reach the tracker within a second; the machine is slow. */
const OPERATION_TIMEOUT = 45_000;

const chromium = chromiumPath();
const onCi = process.env.CI === 'true';

if (!chromium && !onCi) {
  console.warn('[e2e] skipping the product e2e tests: /usr/bin/chromium is absent (apt-get install -y chromium)');
}

// On CI a missing browser is a broken runner, not a reason to go green.
describe.runIf(!chromium && onCi)('product e2e prerequisites', () => {
  it('has Chromium', () => {
    expect.fail('Chromium is required for e2e tests on CI: /usr/bin/chromium is absent (apt-get install -y chromium)');
  });
});

/** The state word of a progress card: "In progress", "Queued", "Done" or "Failed" (first line after the title). */
function progressState(text: string): string | undefined {
  return /(?:^|\n)\s*(In progress|Queued|Done|Failed) · /.exec(text)?.[1];
}

const isDone = (text: string) => progressState(text) === 'Done';
/** Days left before prompt flow retires, as the bot counts them today (before the retirement test moves its clock). */
const daysLeft = () => daysUntil(RETIREMENT_DEFAULTS.retiresOn, Date.now());
const isEnded = (text: string) => progressState(text) === 'Done' || progressState(text) === 'Failed';

describe.skipIf(!chromium)('the product in the Agents Playground', () => {
  let stack: ProductStack | undefined;
  let pg: PlaygroundHandle | undefined;
  let ui: PlaygroundPage | undefined;
  let chat: Chat;
  const started = Date.now();

  beforeAll(async () => {
    stack = await startProductStack();
    pg = await startPlayground({ botEndpoint: stack.botEndpoint, configYaml: productPlaygroundYaml() });
    ui = await openPlayground(pg.url, { viewport: { width: 1280, height: 900 }, timeoutMs: 30_000 });
    chat = new Chat(ui);
    await chat.hideLogPanel();
    // The Playground installs the bot on load: the welcome card says the bot is reachable.
    await chat.waitForNew(0, 'Hi! I manage prompt flow runtimes', 60_000);
    console.log(`[e2e] service + bot + Playground + Chromium ready in ${Date.now() - started} ms`);
  }, SETUP_TIMEOUT);

  afterAll(async () => {
    await ui?.close();
    await pg?.stop();
    await stack?.stop();
    console.log(`[e2e] product suite total ${Date.now() - started} ms`);
  }, TEST_TIMEOUT);

  /** On failure: a screenshot, the Playground's output and the product's warnings, which usually say why. */
  function onFailure(ctx: TestContext, name: string): void {
    const t0 = Date.now();
    ctx.onTestFailed(async () => {
      await chat?.shot(`${name}-failure`, undefined, { docs: false }).catch(() => undefined);
      const problems = (stack?.logs ?? []).filter((l) => l.level === 'warn' || l.level === 'error').slice(-20);
      console.error(`[e2e] ${name} failed after ${Date.now() - t0} ms`);
      console.error(`[e2e] product warnings and errors:\n${problems.map((l) => JSON.stringify(l)).join('\n')}`);
      console.error(`[e2e] Playground output (tail):\n${pg?.output().slice(-3000)}`);
    });
  }

  it(
    '1. help lists the commands; a command button shows its usage',
    async (ctx) => {
      onFailure(ctx, '01-help');
      await ui!.switchToPersonalChat();
      const help = await chat.ask('help', 'What I can do');
      for (const command of COMMANDS) expect(help.text).toMatch(new RegExp(`(^|\\n)${command.name}\\n`));
      // The intro names the prefix form of the commands.
      expect
        .soft(help.text, 'help intro names the prefixes in words that survive markdown')
        .toContain('after the word runtime or session, as in session status');
      expect(help.text).toContain(
        `Prompt flow in Azure Machine Learning retires on 20 April 2027 (${daysLeft()} days left)`,
      );
      await chat.shot('01-help', help.seq);

      const installRow = await chat.rowButton(help.seq, 'install', 'How to use');
      const answer = await chat.invoke(help.seq, installRow);
      expect(answer.type).toBe('application/vnd.microsoft.card.adaptive');
      const usage = await chat.follow(help.seq, 'help install');
      expect(usage).toContain('Usage');
      expect(usage).toContain('install <name> [--save-only]');
      expect(usage).toContain('install chat-dev openai>=1.30 tiktoken');
      expect(await chat.buttons(help.seq)).toContain('All commands');
      await chat.shot('01-help-install', help.seq);
    },
    TEST_TIMEOUT,
  );

  it(
    '2. status: the on-call summary names rag-eval as failing and prod-chat as outdated; Refresh',
    async (ctx) => {
      onFailure(ctx, '02-status-summary');
      const summary = await chat.ask('status', 'On-call summary');
      const failing = /Failing \(\d+\)([\s\S]*?)(?:\nOutdated \(|$)/.exec(summary.text)?.[1] ?? '';
      const outdated = /Outdated \(\d+\)([\s\S]*?)(?:\nRefresh\n|$)/.exec(summary.text)?.[1] ?? '';
      expect(failing).toContain('rag-eval · Failed');
      expect(failing).toContain('Could not find a version that satisfies the requirement langchain==0.0.1a');
      expect(outdated).toMatch(/prod-chat · \S+ → \S+/);
      expect(outdated).not.toContain('chat-dev ·'); // chat-dev runs the latest image
      expect(summary.text).toMatch(/5 runtimes · as of/);
      // The retirement line: the days left and how many runtimes still exist.
      expect(summary.text).toContain(
        `Prompt flow retires on 20 April 2027: ${daysLeft()} days left. 5 runtimes still exist.`,
      );
      expect(await chat.buttons(summary.seq)).toContain('Retirement plan');
      await chat.shot('02-status-summary', summary.seq);

      // A runtime appears behind the card's back; Refresh must show it (the same message, updated in place).
      const botBefore = (await chat.botMessages()).length;
      await waitForOperation(stack!.serviceUrl, await createRuntimeViaApi(stack!.serviceUrl, 'e2e-refresh'));
      const answer = await chat.click(summary.seq, 'Refresh');
      expect(answer.type).toBe('application/vnd.microsoft.card.adaptive');
      const refreshed = await chat.follow(summary.seq, /6 runtimes · as of/);
      expect(refreshed).toContain('rag-eval · Failed');
      expect(refreshed).toMatch(/e2e-refresh · Create succeeded/);
      expect((await chat.botMessages()).length).toBe(botBefore);
      await chat.shot('02-status-summary-refreshed', summary.seq);
    },
    TEST_TIMEOUT,
  );

  it(
    '3. status chat-dev: the detail card with its fields and action buttons',
    async (ctx) => {
      onFailure(ctx, '03-status-detail');
      const detail = await chat.ask('status chat-dev', (t) => t.startsWith('chat-dev') && t.includes('Owner'));
      const text = detail.text;
      expect(text).toMatch(/Compute session · Running/);
      expect(text).toMatch(/Status\s+Running/);
      expect(text).toMatch(/Type\s+Compute session/);
      expect(text).toMatch(/Image version\s+\S+ · latest/);
      expect(text).toMatch(/VM size\s+Standard_E4ds_v4/);
      expect(text).toMatch(/Idle shutdown\s+after 240 min idle/);
      expect(text).toMatch(/Identity\s+The user’s identity/);
      expect(text).toMatch(/Packages\s+openai>=1\.30, tiktoken/);
      expect(text).toMatch(/Owner\s+Alex Wilber/);
      const buttons = await chat.buttons(detail.seq);
      expect(buttons).toEqual(expect.arrayContaining(['Install packages', 'Edit', 'Reset', 'Stop', 'Refresh']));
      expect(buttons).not.toContain('Upgrade'); // it is up to date
      await chat.shot('03-status-detail', detail.seq);
    },
    TEST_TIMEOUT,
  );

  it(
    '4. create with flags: a progress card updated in place until done',
    async (ctx) => {
      onFailure(ctx, '04-create-flags');
      const progress = await chat.ask('create e2e-flags --vm-size Standard_E4ds_v4 --idle 90', 'Creating e2e-flags');
      const first = progress.text;
      expect(progressState(first)).toMatch(/In progress|Queued/);
      const botBefore = (await chat.botMessages()).length;
      await chat.shot('04-create-flags-in-progress', progress.seq);

      const done = await chat.follow(progress.seq, isDone, OPERATION_TIMEOUT);
      expect(done).not.toBe(first); // the same message changed...
      expect((await chat.botMessages()).length).toBe(botBefore); // ...and no new one came
      expect(done).toMatch(/Create on e2e-flags · by Alex Wilber/);
      expect(done).toContain('Starting e2e-flags on Standard_E4ds_v4');
      expect(done).toContain('e2e-flags is running');
      expect(await chat.buttons(progress.seq)).toContain('View runtime');
      await chat.shot('04-create-flags-done', progress.seq);

      // The flags made it: the card's View runtime shows the runtime in place.
      await chat.click(progress.seq, 'View runtime');
      const detail = await chat.follow(progress.seq, 'Owner');
      expect(detail).toMatch(/VM size\s+Standard_E4ds_v4/);
      expect(detail).toMatch(/Idle shutdown\s+after 90 min idle/);
      expect(detail).toMatch(/Status\s+Running/);
    },
    TEST_TIMEOUT,
  );

  it(
    '5. stop: progress until done; then status says there is no such runtime',
    async (ctx) => {
      onFailure(ctx, '05-stop');
      const progress = await chat.ask('stop e2e-flags', 'Stopping e2e-flags');
      const done = await chat.follow(progress.seq, isDone, OPERATION_TIMEOUT);
      expect(done).toContain('Deleted e2e-flags and its serverless compute');
      expect(await chat.buttons(progress.seq)).toContain('List runtimes'); // gone: no "View runtime"
      await chat.shot('05-stop-done', progress.seq);

      const gone = await chat.ask('status e2e-flags', /no runtime named/i);
      expect(gone.text).toMatch(/There is no runtime named e2e-flags\./);
      expect(gone.cards).toEqual([]);
      await chat.shot('05-status-gone', gone.seq);
    },
    TEST_TIMEOUT,
  );

  it(
    '6. an unknown command gets "did you mean"',
    async (ctx) => {
      onFailure(ctx, '06-did-you-mean');
      const reply = await chat.ask('statsu', 'Did you mean');
      // Markdown: the backticks render as code, so it reads "I don't know statsu. Did you mean status?".
      expect(reply.text).toMatch(/I don't know ["`]?statsu["`]?\. Did you mean `?status`?\?/);
      expect(reply.cards).toEqual([]);
      await chat.shot('06-did-you-mean', reply.seq);
    },
    TEST_TIMEOUT,
  );

  it(
    '7. in the team channel, with a mention: status and list',
    async (ctx) => {
      onFailure(ctx, '07-channel');
      await ui!.switchToChannel(TEAM.name, TEAM.channelName);
      const summary = await chat.ask('status', 'On-call summary', { mention: true });
      expect(summary.inChannel).toBe(true);
      expect(summary.cards.length).toBe(1);
      expect(summary.text).toContain('rag-eval · Failed');

      const list = await chat.ask('list', /Runtimes \(\d+\)/, { mention: true });
      expect(list.inChannel).toBe(true);
      expect(list.cards.length).toBe(1);
      for (const name of ['chat-dev', 'prod-chat', 'rag-eval', 'ci-alex-runtime', 'legacy-ocr']) {
        expect(list.text).toContain(name);
      }
      expect(list.text).not.toContain('e2e-flags');
      await chat.shot('07-channel-list', list.seq);
    },
    TEST_TIMEOUT,
  );

  it(
    '8. create through the form: a server-side field error keeps the input; fixed, it creates',
    async (ctx) => {
      onFailure(ctx, '08-create-form');
      await ui!.switchToPersonalChat();
      const form = await chat.ask('create', 'Create a runtime');
      await chat.click(form.seq, 'Compute session');
      await chat.follow(form.seq, 'Compute session (automatic runtime):');

      // chat-dev passes the card's own checks (pattern, required): only the service knows it is taken.
      await chat.fill(form.seq, 'Runtime name', 'chat-dev');
      await chat.choose(form.seq, 'VM size', 'Standard_E8ds_v4');
      await chat.fill(form.seq, 'Idle time before it stops', '90');
      await chat.fill(form.seq, 'Description', 'made by the e2e form test');
      const rejected = await chat.click(form.seq, 'Create');
      expect(rejected.type).toBe('application/vnd.microsoft.card.adaptive');
      expect(JSON.stringify(rejected.value)).toContain('already exists');

      expect(await chat.textAfterInput(form.seq, 'Runtime name')).toMatch(/A runtime named chat-dev already exists/);
      expect(await (await chat.input(form.seq, 'Runtime name')).inputValue()).toBe('chat-dev');
      expect(await (await chat.input(form.seq, 'VM size')).inputValue()).toMatch(/^Standard_E8ds_v4/);
      expect(await (await chat.input(form.seq, 'Idle time before it stops')).inputValue()).toBe('90');
      expect(await (await chat.input(form.seq, 'Description')).inputValue()).toBe('made by the e2e form test');
      await chat.shot('08-create-form-error', form.seq);

      await chat.fill(form.seq, 'Runtime name', 'e2e-form');
      const accepted = await chat.click(form.seq, 'Create');
      expect(JSON.stringify(accepted.value)).toContain('Creating e2e-form');
      const done = await chat.follow(form.seq, isDone, OPERATION_TIMEOUT);
      expect(done).toContain('Starting e2e-form on Standard_E8ds_v4');
      await chat.shot('08-create-form-done', form.seq);

      const created = await (await fetch(`${stack!.serviceUrl}/v1/runtimes/e2e-form`)).json();
      expect(created).toMatchObject({
        type: 'automatic',
        vmSize: 'Standard_E8ds_v4',
        idleTimeMinutes: 90,
        description: 'made by the e2e form test',
        owner: { objectId: PEOPLE.alex.aadObjectId },
      });
    },
    TEST_TIMEOUT,
  );

  it(
    "9. install: save only, then save and install, then a bad package fails with pip's error and Retry",
    async (ctx) => {
      onFailure(ctx, '09-install');
      const form = await chat.ask('install chat-dev', 'Install packages into chat-dev');
      await chat.fill(form.seq, 'requirements.txt', 'tiktoken');
      await chat.shot('09-install-form', form.seq);
      await chat.click(form.seq, 'Save only');
      const saved = await chat.follow(form.seq, isDone, OPERATION_TIMEOUT);
      expect(saved).toContain('Saving requirements for chat-dev');
      expect(saved).toMatch(/Saved requirements\.txt \(1 lines?\) without installing/);
      await chat.shot('09-install-saved', form.seq);

      // The form again, from the runtime's card: the saved line is there, not installed.
      await chat.click(form.seq, 'View runtime');
      const detail = await chat.follow(form.seq, 'Owner');
      expect(detail).toMatch(/Package\s+tiktoken \(not installed\)/);
      await chat.click(form.seq, 'Install packages');
      await chat.follow(form.seq, 'Install packages into chat-dev');
      await chat.fill(form.seq, 'requirements.txt', 'numpy==1.26.4');
      await chat.click(form.seq, 'Save and install');
      const installed = await chat.follow(form.seq, isDone, OPERATION_TIMEOUT);
      expect(installed).toContain('Installing packages into chat-dev');
      expect(installed).toContain('chat-dev is running');
      await chat.shot('09-install-done', form.seq);

      // A version the index does not have: pip's own words, and Retry.
      const bad = await chat.ask('install e2e-form numpy==0.0.1', 'Installing packages into e2e-form');
      const failed = await chat.follow(bad.seq, isEnded, OPERATION_TIMEOUT);
      expect(progressState(failed)).toBe('Failed');
      expect(failed).toContain('Why it failed');
      expect(failed).toMatch(/Could not find a version that satisfies the requirement numpy==0\.0\.1/);
      expect(await chat.buttons(bad.seq)).toContain('Retry');
      await chat.shot('09-install-failed', bad.seq);

      // Retry of an install reopens its form (a feed token is never stored, so it is typed again).
      await chat.click(bad.seq, 'Retry');
      expect(await chat.follow(bad.seq, 'Install packages into e2e-form')).toContain('Save and install');
    },
    TEST_TIMEOUT,
  );

  it(
    '10. reset from the detail card: Resetting, Starting, done',
    async (ctx) => {
      onFailure(ctx, '10-reset');
      const detail = await chat.ask('status chat-dev', (t) => t.startsWith('chat-dev') && t.includes('Owner'));

      // What the service reports while the card is followed: the runtime's own states.
      const statuses: string[] = [];
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          const r = (await (await fetch(`${stack!.serviceUrl}/v1/runtimes/chat-dev`)).json()) as { status: string };
          if (statuses.at(-1) !== r.status) statuses.push(r.status);
          await new Promise((res) => setTimeout(res, 50));
        }
      })();

      let midway = false;
      try {
        const answer = await chat.click(detail.seq, 'Reset');
        // The click's answer replaces the detail card with the progress card, still in progress.
        expect(JSON.stringify(answer.value)).toContain('Resetting chat-dev');
        expect(JSON.stringify(answer.value)).toMatch(/"text":"(In progress|Queued)"/);
        const done = await chat.follow(detail.seq, isDone, OPERATION_TIMEOUT, async (text) => {
          if (!midway && progressState(text) === 'In progress') {
            midway = true;
            await chat.shot('10-reset-in-progress', detail.seq);
          }
        });
        await chat.shot('10-reset-done', detail.seq);
        const resetting = done.indexOf('Deleting chat-dev to recreate it with the same environment');
        const starting = done.indexOf('Starting chat-dev on image');
        const running = done.indexOf('chat-dev is running');
        expect(resetting).toBeGreaterThan(-1);
        expect(starting).toBeGreaterThan(resetting);
        expect(running).toBeGreaterThan(starting);
      } finally {
        watching = false;
        await watcher;
      }
      // The card changed in place from "In progress" to "Done" (the mid-way screenshot exists when the page
      // was quick enough to show a step between the two).
      const shown = chat.shown(detail.seq).map(progressState).filter(Boolean);
      expect(shown.at(-1)).toBe('Done');
      if (!midway) console.warn('[e2e] reset: no in-progress state was on screen long enough for a screenshot');
      // The service went through Resetting and Starting to Running.
      const from = statuses.indexOf('Resetting');
      expect(from).toBeGreaterThan(-1);
      expect(statuses.slice(from)).toEqual(expect.arrayContaining(['Resetting', 'Starting', 'Running']));
      expect(statuses.indexOf('Starting', from)).toBeGreaterThan(from);
      expect(statuses.lastIndexOf('Running')).toBeGreaterThan(statuses.indexOf('Starting', from));
    },
    TEST_TIMEOUT,
  );

  it(
    '11. paging: more than 15 runtimes, Next and Previous',
    async (ctx) => {
      onFailure(ctx, '11-paging');
      const existing = await listRuntimes(stack!.serviceUrl);
      const wanted = 20;
      const names = Array.from(
        { length: Math.max(0, wanted - existing.length) },
        (_, i) => `page-rt-${String(i + 1).padStart(2, '0')}`,
      );
      const ops = await Promise.all(names.map((n) => createRuntimeViaApi(stack!.serviceUrl, n)));
      await Promise.all(ops.map((id) => waitForOperation(stack!.serviceUrl, id, 60_000)));
      const all = (await listRuntimes(stack!.serviceUrl)).map((r) => r.name);
      expect(all.length).toBeGreaterThan(15);
      const pages = Math.ceil(all.length / 15);

      const list = await chat.ask('list', `page 1 of ${pages}`);
      expect(list.text).toContain(`Runtimes (${all.length})`);
      expect(await chat.buttons(list.seq)).toEqual(expect.arrayContaining(['Next', 'Refresh']));
      expect(await chat.buttons(list.seq)).not.toContain('Previous');
      const page1 = list.text;
      await chat.shot('11-list-page-1', list.seq);

      await chat.click(list.seq, 'Next');
      const page2 = await chat.follow(list.seq, `page 2 of ${pages}`);
      expect(await chat.buttons(list.seq)).toContain('Previous');
      // Names are sorted: the 16th is on page 2 and not on page 1.
      const sixteenth = [...all].sort()[15]; // the service orders by name, code point by code point
      expect(page2).toContain(sixteenth);
      expect(page1).not.toContain(`\n${sixteenth}`);
      await chat.shot('11-list-page-2', list.seq);

      await chat.click(list.seq, 'Previous');
      const back = await chat.follow(list.seq, `page 1 of ${pages}`);
      expect(back).toContain('chat-dev');
      expect(back).not.toContain(sixteenth);
    },
    TEST_TIMEOUT,
  );

  it(
    '12. another user: Megan in the channel is seen as Megan (owner, progress, log)',
    async (ctx) => {
      onFailure(ctx, '12-megan');
      await ui!.switchToChannel(TEAM.name, TEAM.channelName);
      const megan = PEOPLE.megan;
      const after = await chat.mark();
      await sendMessageAs(pg!.url, {
        from: megan,
        conversationId: TEAM.channelId,
        text: 'create megan-e2e --vm-size Standard_E4ds_v4',
        mentionBot: true,
      });
      const progress = await chat.waitForNew(after, 'Creating megan-e2e');
      expect(progress.inChannel).toBe(true);
      const done = await chat.follow(progress.seq, isDone, OPERATION_TIMEOUT);
      expect(done).toMatch(/Create on megan-e2e · by Megan Bowen/);

      const before = await chat.mark();
      await sendMessageAs(pg!.url, {
        from: megan,
        conversationId: TEAM.channelId,
        text: 'status megan-e2e',
        mentionBot: true,
      });
      const detail = await chat.waitForNew(before, (t) => t.startsWith('megan-e2e') && t.includes('Owner'));
      expect(detail.text).toMatch(/Owner\s+Megan Bowen/);
      await chat.shot('12-megan-owner', detail.seq);

      // The bot logged the command as hers (her Entra object id), and the service stored her as the owner.
      const handled = stack!.logs.filter((l) => l.msg === 'command handled' && l.command === 'create');
      expect(handled.map((l) => l.user)).toContain(megan.aadObjectId);
      const runtime = (await (await fetch(`${stack!.serviceUrl}/v1/runtimes/megan-e2e`)).json()) as { owner?: unknown };
      expect(runtime.owner).toMatchObject({ objectId: megan.aadObjectId, name: 'Megan Bowen' });

      // Alex, in the same channel, sees her as the owner too.
      const alexView = await chat.ask('status megan-e2e', (t) => t.startsWith('megan-e2e') && t.includes('Owner'), {
        mention: true,
      });
      expect(alexView.text).toMatch(/Owner\s+Megan Bowen/);
    },
    TEST_TIMEOUT,
  );

  it(
    '13. subscribe versions in the channel; a new base image brings the outdated runtimes; Upgrade runs',
    async (ctx) => {
      onFailure(ctx, '14-version-notice');
      await ui!.switchToChannel(TEAM.name, TEAM.channelName);
      const subscribed = await chat.ask('subscribe versions', 'Subscribed this conversation to versions', {
        mention: true,
      });
      expect(subscribed.inChannel).toBe(true);

      // Megan publishes a new base image (as the registry watcher or `npm run publish-version` would).
      const after = await chat.mark();
      const published = await fetch(`${stack!.serviceUrl}/v1/versions`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Acting-User-Id': PEOPLE.megan.aadObjectId,
          'X-Acting-User-Name': 'Megan Bowen',
        },
        body: JSON.stringify({ tag: '20991231.v1', notes: 'Python 3.12 and promptflow 1.18' }),
      });
      expect(published.status).toBeLessThan(300);
      const report = (await (await fetch(`${stack!.serviceUrl}/v1/versions`)).json()) as {
        outdated: { name: string }[];
      };
      const notice = await chat.waitForNew(after, 'New base image version', 30_000);
      expect(notice.inChannel).toBe(true);
      expect(notice.text).toContain('20991231.v1');
      expect(notice.text).toContain('Python 3.12 and promptflow 1.18');
      expect(report.outdated.map((o) => o.name)).toContain('prod-chat');
      for (const { name } of report.outdated.slice(0, 20)) expect(notice.text).toContain(name);
      await chat.shot('14-version-notice', notice.seq);

      const upgrade = await chat.rowButton(notice.seq, 'prod-chat', 'Upgrade');
      const answer = await chat.invoke(notice.seq, upgrade);
      expect(answer.type).toBe('application/vnd.microsoft.card.adaptive');
      const progress = await chat.follow(notice.seq, /Upgrad(e|ing) .*prod-chat|prod-chat/);
      expect(progress).not.toContain('New base image version');
      const done = await chat.follow(notice.seq, isEnded, OPERATION_TIMEOUT);
      expect(done).toMatch(/Done/);
      const runtime = (await (await fetch(`${stack!.serviceUrl}/v1/runtimes/prod-chat`)).json()) as {
        imageVersion?: string;
      };
      expect(runtime.imageVersion).toBe('20991231.v1');
      await chat.shot('14-version-notice-upgraded', notice.seq);
    },
    TEST_TIMEOUT,
  );
  it(
    '14. retirement: the inventory card, every runtime with its next step; Stop goes through the change path',
    async (ctx) => {
      onFailure(ctx, '15-retirement');
      await ui!.switchToPersonalChat();
      const all = await listRuntimes(stack!.serviceUrl);
      const inventory = await chat.ask('retirement', 'Prompt flow retirement');
      const text = inventory.text;
      expect(text).toContain(`Prompt flow retires on 20 April 2027: ${daysLeft()} days left.`);
      expect(text).toContain('goes read-only');
      expect(text).toMatch(
        new RegExp(`${all.length} runtimes · page 1 of ${Math.ceil(all.length / 15)} · longest idle first`),
      );
      // legacy-ocr (changed 40 days ago) and ci-alex-runtime (10 days) lead; each row says who, what, when and what next.
      expect(text.indexOf('legacy-ocr ·')).toBeLessThan(text.indexOf('ci-alex-runtime ·'));
      expect(text).toMatch(
        /legacy-ocr · Unavailable · Compute instance · Adele Vance\s+Last use not recorded · idle 40 days\s+Stop it — It is unavailable/,
      );
      expect(text).toMatch(
        /ci-alex-runtime · Running · Compute instance · Alex Wilber\s+Last use not recorded · idle 10 days\s+Stop it — Unused for 10 days/,
      );
      expect(text).toMatch(
        /Compute session · Alex Wilber\s+Last used .*· idle less than a day\s+Export its flow — In use/,
      );
      const buttons = await chat.buttons(inventory.seq);
      expect(buttons.filter((b) => b === 'Stop')).toHaveLength(15);
      expect(buttons).toEqual(expect.arrayContaining(['Next', 'Refresh']));
      await chat.shot('15-retirement', inventory.seq);

      const stop = await chat.rowButton(inventory.seq, 'legacy-ocr', 'Stop');
      const answer = await chat.invoke(inventory.seq, stop);
      expect(JSON.stringify(answer.value)).toContain('Stopping legacy-ocr');
      await chat.follow(inventory.seq, isDone, OPERATION_TIMEOUT);
      expect((await listRuntimes(stack!.serviceUrl)).map((r) => r.name)).not.toContain('legacy-ocr');
    },
    TEST_TIMEOUT,
  );

  it(
    '15. a retirement notice reaches the subscribed channel once, with two bot replicas, when the clock passes 90 days',
    async (ctx) => {
      onFailure(ctx, '16-retirement-notice');
      await ui!.switchToChannel(TEAM.name, TEAM.channelName);
      const isNotice = (t: string) => t.startsWith('Prompt flow retires in');
      const notices = async () => (await chat.botMessages()).filter((m) => isNotice(m.text));
      expect(await notices()).toEqual([]); // subscribed to versions in scenario 13; nothing due yet

      const after = await chat.mark();
      const replica = stack!.replica();
      // The clock moves to 90 days before the retirement: the running bot's own timer and a second
      // replica, driven by hand, both find the notice due at the same moment.
      stack!.clock.moveTo(dayStart(RETIREMENT_DEFAULTS.retiresOn) - 90 * 86_400_000 + 3_600_000);
      await Promise.all([stack!.bot.notifications.runOnce(), replica.notifications.runOnce()]);
      const notice = await chat.waitForNew(after, isNotice, 30_000);
      expect(notice.inChannel).toBe(true);
      expect(notice.text).toContain('Prompt flow retires in 90 days');
      expect(notice.text).toMatch(/retires on 20 April 2027\. \d+ runtimes still exist\./);
      expect(await chat.buttons(notice.seq)).toEqual(['Show the runtimes', 'Status summary']);
      await chat.shot('16-retirement-notice', notice.seq);

      // Every replica runs again; once the queue is empty, everything that could be sent has been.
      await Promise.all([stack!.bot.notifications.runOnce(), replica.notifications.runOnce()]);
      expect(await stack!.bot.notifications.outbox.pending()).toBe(0);
      expect((await notices()).map((m) => m.seq)).toEqual([notice.seq]);
    },
    TEST_TIMEOUT,
  );
});
