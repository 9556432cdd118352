/**
 * Every command end to end: a Teams-shaped activity is POSTed to the real bot, which calls the real
 * runtime service (local provider, demo data) over HTTP and answers through the loopback connector.
 * Each case runs in a personal chat and in a channel where the text carries an @mention.
 * Assertions read what the user sees (visibleText), so they hold for markdown and for cards.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/core/commands/registry';
import type { Where, Who } from '../../helpers/activities';
import { ACTORS, automatic, sendRequest } from '../../helpers/service';
import { type Stack, startStack } from '../../helpers/stack';
import {
  ask,
  everywhere,
  expectNoInternals,
  inOrder,
  operations,
  PLACES,
  runtimeOf,
  shownText,
  squash,
} from './support';

let stack: Stack;
let latest: string;

beforeEach(async () => {
  stack = await startStack();
  latest = (await stack.service.versions.latest())!;
});

afterEach(async () => {
  await stack?.close();
});

/** Says one message and expects exactly one reply; returns what it shows and its message id. */
async function one(text: string, where: Where, who: Who = 'alex', extra: Record<string, unknown> = {}) {
  const { status, replies, ids } = await ask(stack, text, who, where, extra);
  expect(status).toBe(200);
  expect(replies).toHaveLength(1);
  expectNoInternals(replies[0]);
  return { text: replies[0], id: ids[0] };
}

/** Says a change, expects its acknowledgement at once, runs it to the end and returns the final text. */
async function change(
  text: string,
  where: Where,
  title: string,
  who: Who = 'alex',
  extra: Record<string, unknown> = {},
) {
  const reply = await one(text, where, who, extra);
  expect(inOrder(reply.text, title, 'in progress')).toBe(true);
  await stack.settle();
  return { ...reply, final: shownText(stack, reply.id) };
}

const usageOf = (name: string) => squash(COMMANDS.find((c) => c.name === name)!.usage.split('\n')[0]);

describe('help', () => {
  it.each(PLACES)('should list every registered command in %s', async (_label, where) => {
    const { text } = await one('help', where);
    for (const command of COMMANDS) expect(inOrder(text, command.name, command.summary)).toBe(true);
  });

  it.each(
    everywhere([
      { text: 'help install', name: 'install' },
      { text: 'help edit', name: 'update' },
      { text: 'runtime help versions', name: 'versions' },
      { text: '? stop', name: 'stop' },
    ]),
  )('should show the usage and examples of $name for $text in $place', async ({ text, name, where }) => {
    const command = COMMANDS.find((c) => c.name === name)!;
    const reply = await one(text, where);
    expect(reply.text).toContain(command.summary);
    expect(reply.text).toContain(usageOf(name));
    expect(reply.text).toContain('Examples');
    expect(reply.text).toContain(command.examples[0].split('\n')[0]);
  });

  it.each(PLACES)('should suggest the closest command for help on an unknown one in %s', async (_label, where) => {
    const { text } = await one('help instal', where);
    expect(text).toBe('There is no command `instal`. Did you mean `install`? Say `help` for the list.');
  });

  it.each(everywhere([{ text: 'runtime' }, { text: 'runtime --help' }, { text: '?' }]))(
    'should answer $text with the full help in $place',
    async ({ text, where }) => {
      const reply = await one(text, where);
      expect(reply.text).toMatch(/what I can do/i);
      for (const command of COMMANDS) expect(reply.text).toContain(command.summary);
    },
  );
});

describe('list', () => {
  it.each(PLACES)('should list every runtime with status, type and owner in %s', async (_label, where) => {
    const { text } = await one('list', where);
    expect(text).toMatch(/\b5 runtimes\b|runtimes \(5\)/i);
    expect(inOrder(text, 'chat-dev', 'Running', 'compute session', 'Alex Wilber')).toBe(true);
    expect(inOrder(text, 'prod-chat', 'Running', 'outdated', 'compute session', 'Megan Bowen')).toBe(true);
    expect(inOrder(text, 'rag-eval', 'Failed', 'compute session', 'Alex Wilber')).toBe(true);
    expect(inOrder(text, 'ci-alex-runtime', 'Running', 'outdated', 'compute instance', 'Alex Wilber')).toBe(true);
    expect(inOrder(text, 'legacy-ocr', 'Unavailable', 'outdated', 'compute instance', 'Adele Vance')).toBe(true);
    expect(text).not.toMatch(/page \d+ of/i);
  });

  it.each(
    everywhere([{ text: 'list --status Failed' }, { text: 'list --status=failed' }, { text: 'ls —status Failed' }]),
  )('should filter by status with $text in $place', async ({ text, where }) => {
    const reply = await one(text, where);
    expect(reply.text).toMatch(/\b1 runtime\b|runtimes \(1\)/i);
    expect(reply.text).toMatch(/status failed/i);
    expect(inOrder(reply.text, 'rag-eval', 'Failed')).toBe(true);
    for (const other of ['chat-dev', 'prod-chat', 'legacy-ocr', 'ci-alex-runtime'])
      expect(reply.text).not.toContain(other);
  });

  it.each(PLACES)('should say so when no runtime matches a filter in %s', async (_label, where) => {
    expect((await one('list --status Stopping', where)).text).toContain('No runtimes match status Stopping.');
  });

  it.each(PLACES)('should page through more runtimes than fit one message in %s', async (_label, where) => {
    // 11 more runtimes make 16: one more than a page holds.
    for (let i = 1; i <= 11; i++) {
      const name = `bulk-${String(i).padStart(2, '0')}`;
      const res = await sendRequest(stack.serviceUrl, 'PUT', `/v1/runtimes/${name}`, {
        body: automatic(),
        actor: ACTORS.alex,
      });
      expect(res.status).toBe(202);
    }
    const first = (await one('list', where)).text;
    expect(first).toMatch(/\b16 runtimes\b|runtimes \(16\)/i);
    expect(first).toMatch(/page 1 of 2/i);
    expect(first).toContain('bulk-01');
    expect(first).toContain('prod-chat'); // the 15th by name
    expect(first).not.toContain('rag-eval');
    const second = (await one('list --page 2', where)).text;
    expect(second).toMatch(/page 2 of 2/i);
    expect(second).toContain('rag-eval');
    expect(second).not.toContain('bulk-01');
    expect(second).not.toContain('chat-dev');
  });

  it.each(
    everywhere([
      { text: 'list --page 2', problem: 'There is only 1 page.' },
      { text: 'list --page 0', problem: '--page starts at 1.' },
      { text: 'list --page two', problem: '--page must be a whole number (got `two`).' },
      { text: 'list --colour red', problem: 'Unknown option `--colour`.' },
    ]),
  )('should answer $text with $problem and the usage in $place', async ({ text, problem, where }) => {
    const reply = await one(text, where);
    expect(reply.text).toContain(problem);
    expect(reply.text).toContain('Usage:');
    expect(reply.text).toContain(usageOf('list'));
  });
});

describe('status', () => {
  it.each(PLACES)('should give the on-call summary without a name in %s', async (_label, where) => {
    const { text } = await one('status', where);
    expect(text).toContain('On-call summary');
    expect(text).toMatch(/\b5 runtimes\b/);
    // The reason shown for rag-eval is pip's first ERROR line, not the generic "pip install failed".
    expect(
      inOrder(
        text,
        'rag-eval',
        'Failed',
        'ERROR: Could not find a version that satisfies the requirement langchain==0.0.1a',
      ),
    ).toBe(true);
    expect(text.indexOf('Failing')).toBeGreaterThanOrEqual(0);
    expect(text.indexOf('Failing')).toBeLessThan(text.indexOf('rag-eval'));
    expect(inOrder(text, 'legacy-ocr', 'Unavailable', 'Compute instance ci-adele-old is Stopped')).toBe(true);
    const outdated = text.slice(text.search(/Outdated/));
    expect(outdated).toContain(latest);
    expect(inOrder(outdated, 'prod-chat', '20250831.v1')).toBe(true);
    // chat-dev is healthy, current and idle: nothing to report about it.
    expect(text).not.toContain('chat-dev');
  });

  it.each(PLACES)('should show a runtime in detail, with pip output for a failed one, in %s', async (_label, where) => {
    const { text } = await one('status rag-eval', where);
    expect(text).toMatch(/^rag-eval\b/);
    expect(inOrder(text, 'Status', 'Failed', 'Package installation failed')).toBe(true);
    expect(inOrder(text, 'VM size', 'Standard_E4ds_v4')).toBe(true);
    expect(text).toContain('pip install -r requirements.txt failed');
    expect(text).toContain('ERROR: No matching distribution found for langchain==0.0.1a');
    expect(inOrder(text, 'Owner', 'Alex Wilber')).toBe(true);
  });

  it.each(PLACES)('should flag an outdated runtime in its detail in %s', async (_label, where) => {
    const { text } = await one('status prod-chat', where);
    expect(inOrder(text, 'Image version', '20250831.v1', 'outdated', latest)).toBe(true);
    expect(text).toContain('Serves the production chat flow evaluation.');
  });

  it.each(
    everywhere([
      { text: 'status nope-runtime', name: 'nope-runtime' },
      { text: 'show No-Such-Runtime', name: 'No-Such-Runtime' },
      { text: 'get rt_42', name: 'rt_42' },
    ]),
  )('should say clearly that there is no runtime for $text in $place', async ({ text, name, where }) => {
    expect((await one(text, where)).text).toBe(`There is no runtime named ${name}. Say \`list\` to see the runtimes.`);
  });

  it.each(PLACES)('should refuse options it does not take in %s', async (_label, where) => {
    expect((await one('status chat-dev --verbose', where)).text).toContain('Unknown option `--verbose`.');
  });
});

describe('create', () => {
  it.each(PLACES)('should create an automatic runtime from flags and report done in %s', async (_label, where) => {
    const { text, final } = await change(
      'create My-Flow --vm-size Standard_E4ds_v4 --idle 120',
      where,
      'Creating My-Flow',
    );
    expect(text).toContain('Starting My-Flow on Standard_E4ds_v4');
    expect(inOrder(final, 'Creating My-Flow', 'done')).toBe(true);
    expect(final).toContain('My-Flow is running');
    expect(await runtimeOf(stack, 'My-Flow')).toMatchObject({
      name: 'My-Flow',
      type: 'automatic',
      status: 'Running',
      vmSize: 'Standard_E4ds_v4',
      idleTimeMinutes: 120,
      owner: ACTORS.alex,
    });
  });

  it.each(
    everywhere([
      { text: 'session create Sess-A --vm-size Standard_E4ds_v4', name: 'Sess-A' },
      { text: 'create Sess-B --type session --vm-size Standard_E4ds_v4', name: 'Sess-B' },
      { text: 'create Sess-C --type compute-session --vm-size Standard_E4ds_v4', name: 'Sess-C' },
    ]),
  )('should create a compute session (stored as automatic) for $text in $place', async ({ text, name, where }) => {
    const { final } = await change(text, where, `Creating ${name}`);
    expect(final).toContain(`${name} is running`);
    expect(await runtimeOf(stack, name)).toMatchObject({ name, type: 'automatic', status: 'Running' });
  });

  it.each(PLACES)('should list compute sessions with --type session or automatic in %s', async (_label, where) => {
    for (const text of ['list --type session', 'list --type automatic']) {
      const reply = (await one(text, where)).text;
      expect(reply).toMatch(/\b3 runtimes\b|runtimes \(3\)/i);
      for (const name of ['chat-dev', 'prod-chat', 'rag-eval']) expect(reply).toContain(name);
      expect(reply).not.toContain('ci-alex-runtime');
    }
  });

  it.each(PLACES)(
    'should create a compute instance runtime with a new app for its owner in %s',
    async (_label, where) => {
      const { text, final } = await change(
        'create ci-rt --type ci --compute ci-alex --app new',
        where,
        'Creating ci-rt',
      );
      expect(text).toContain('Creating a new custom application restarts ci-alex');
      expect(inOrder(final, 'Creating ci-rt', 'done')).toBe(true);
      expect(await runtimeOf(stack, 'ci-rt')).toMatchObject({
        type: 'computeInstance',
        computeInstanceName: 'ci-alex',
        customApplication: { mode: 'new' },
        environment: { mode: 'default' },
        owner: ACTORS.alex,
      });
    },
  );

  it.each(PLACES)("should refuse someone else's compute instance in %s", async (_label, where) => {
    const { text } = await one('create ci-rt --type ci --compute ci-alex --app new', where, 'megan');
    expect(text).toContain('ci-alex belongs to Alex Wilber');
    expect(await runtimeOf(stack, 'ci-rt')).toBeUndefined();
  });

  it.each(PLACES)('should create a managed online deployment runtime in %s', async (_label, where) => {
    const { final } = await change(
      'create dep-rt --type deployment --endpoint chat-endpoint --deployment blue --instance-type Standard_E4ds_v4 --instance-count 2',
      where,
      'Creating dep-rt',
    );
    expect(inOrder(final, 'Creating dep-rt', 'done')).toBe(true);
    expect(await runtimeOf(stack, 'dep-rt')).toMatchObject({
      type: 'managedOnlineDeployment',
      endpointName: 'chat-endpoint',
      deploymentName: 'blue',
      instanceType: 'Standard_E4ds_v4',
      instanceCount: 2,
    });
  });

  it.each(PLACES)(
    'should answer a create without --vm-size with the usage and create nothing in %s',
    async (_label, where) => {
      const { text } = await one('create rt-a --idle 120', where);
      expect(text).toContain('A compute session (automatic runtime) needs --vm-size');
      expect(text).toContain('Usage:');
      expect(text).toContain(usageOf('create'));
      expect(await runtimeOf(stack, 'rt-a')).toBeUndefined();
      expect(await operations(stack)).toHaveLength(0);
    },
  );

  it.each(
    everywhere([
      { text: 'create rt-a --vm-size Standard_E4ds_v4 --colour blue', problem: 'Unknown option `--colour`.' },
      { text: 'create rt-a --type gpu', problem: 'Unknown runtime type `gpu`' },
      // Plain words are escaped for Teams markdown: the client shows &lt;instance&gt; as <instance>.
      { text: 'create rt-a --type ci', problem: 'A compute instance runtime needs --compute &lt;instance&gt;.' },
      { text: 'create --vm-size Standard_E4ds_v4', problem: 'Which runtime? Give its name.' },
    ]),
  )('should reject $text with the usage in $place', async ({ text, problem, where }) => {
    const reply = await one(text, where);
    expect(reply.text).toContain(problem);
    expect(reply.text).toContain('Usage:');
    expect(await operations(stack)).toHaveLength(0);
  });

  it.each(
    everywhere([
      {
        text: 'create rt-a --vm-size Standard_NC24ads_A100_v4',
        problem: 'The workspace has no quota for Standard_NC24ads_A100_v4',
      },
      { text: 'create rt-a --vm-size Huge_VM', problem: 'Unknown VM size Huge_VM.' },
      { text: 'create chat-dev --vm-size Standard_E4ds_v4', problem: 'A runtime named chat-dev already exists.' },
    ]),
  )("should pass on the service's refusal of $text in $place", async ({ text, problem, where }) => {
    expect((await one(text, where)).text).toContain(problem);
    expect(await operations(stack, 'create')).toHaveLength(0);
  });
});

describe('update', () => {
  it.each(
    everywhere([
      { text: 'update chat-dev --idle 90' },
      { text: 'edit chat-dev --idle=90' },
      { text: 'runtime update chat-dev —idle 90' },
    ]),
  )('should change the idle time with $text in $place', async ({ text, where }) => {
    const reply = await one(text, where);
    // Idle time needs no restart: the change is done by the time the service answers.
    expect(inOrder(reply.text, 'Updating chat-dev', 'done')).toBe(true);
    expect(reply.text).toContain('Updated idle time 90 minutes');
    expect((await runtimeOf(stack, 'chat-dev')).idleTimeMinutes).toBe(90);
  });

  it.each(PLACES)('should report done after a change that needs a restart in %s', async (_label, where) => {
    const { final } = await change('update chat-dev --vm-size Standard_E8ds_v4', where, 'Updating chat-dev');
    expect(inOrder(final, 'Updating chat-dev', 'done')).toBe(true);
    expect((await runtimeOf(stack, 'chat-dev')).vmSize).toBe('Standard_E8ds_v4');
  });

  it.each(
    everywhere([
      { quoted: '"Nightly eval, do not touch"' },
      { quoted: "'Nightly eval, do not touch'" },
      { quoted: '\u201cNightly eval, do not touch\u201d' },
      { quoted: '="Nightly eval, do not touch"' },
    ]),
  )('should take the quoted value $quoted in $place', async ({ quoted, where }) => {
    const flag = quoted.startsWith('=') ? `--description${quoted}` : `--description ${quoted}`;
    await one(`update chat-dev ${flag}`, where);
    expect((await runtimeOf(stack, 'chat-dev')).description).toBe('Nightly eval, do not touch');
    expect((await one('status chat-dev', where)).text).toContain('Nightly eval, do not touch');
  });

  it.each(
    everywhere([
      { text: 'update chat-dev --idle soon', problem: '--idle must be a whole number (got `soon`).' },
      { text: 'update chat-dev --idle', problem: '--idle needs a value.' },
      { text: 'update chat-dev --gpu 2', problem: 'Unknown option `--gpu`.' },
    ]),
  )('should answer $text with $problem and the usage in $place', async ({ text, problem, where }) => {
    const reply = await one(text, where);
    expect(reply.text).toContain(problem);
    expect(reply.text).toContain(usageOf('update'));
  });

  it.each(PLACES)("should pass on the service's validation of the idle time in %s", async (_label, where) => {
    expect((await one('update chat-dev --idle 5', where)).text).toMatch(/idle.*\b15\b|\b15\b.*idle/i);
    expect((await runtimeOf(stack, 'chat-dev')).idleTimeMinutes).toBe(240);
  });

  it.each(PLACES)('should say when nothing would change in %s', async (_label, where) => {
    expect((await one('update chat-dev --idle 240', where)).text).toBe(
      'Nothing to change: chat-dev already has those settings.',
    );
  });
});

describe('install', () => {
  it.each(
    everywhere([
      { how: 'on one line', text: 'install chat-dev numpy==2.1.3 pandas', lines: ['numpy==2.1.3', 'pandas'] },
      {
        how: 'on several lines',
        text: 'install chat-dev\nnumpy==2.1.3\npandas>=2\nrequests',
        lines: ['numpy==2.1.3', 'pandas>=2', 'requests'],
      },
      {
        how: 'as Teams HTML paragraphs',
        text: '<p>install chat-dev</p><p>numpy==2.1.3</p><p>pandas</p>',
        lines: ['numpy==2.1.3', 'pandas'],
      },
      {
        how: 'with line breaks as <br>',
        text: 'install chat-dev<br>numpy==2.1.3<br/>pandas',
        lines: ['numpy==2.1.3', 'pandas'],
      },
      {
        how: 'with the pip alias',
        text: 'runtime pip chat-dev numpy==2.1.3 pandas',
        lines: ['numpy==2.1.3', 'pandas'],
      },
    ]),
  )('should install requirement lines given $how in $place', async ({ text, lines, where }) => {
    const { text: ack, final } = await change(text, where, 'Installing packages into chat-dev');
    expect(ack).toContain(`Installing ${lines.length} lines of requirements`);
    expect(inOrder(final, 'Installing packages into chat-dev', 'done')).toBe(true);
    expect(final).toContain('Successfully installed numpy==2.1.3');
    expect(await runtimeOf(stack, 'chat-dev')).toMatchObject({
      status: 'Running',
      packages: lines,
      packagesInstalled: true,
    });
  });

  it.each(PLACES)(
    "should show the failure and pip's ERROR line when a version does not exist in %s",
    async (_label, where) => {
      const { final } = await change('install chat-dev numpy==0.0.1', where, 'Installing packages into chat-dev');
      expect(inOrder(final, 'Installing packages into chat-dev', 'failed')).toBe(true);
      expect(final).toContain('ERROR: Could not find a version that satisfies the requirement numpy==0.0.1');
      expect(final).toContain('ERROR: No matching distribution found for numpy==0.0.1');
      expect((await runtimeOf(stack, 'chat-dev')).status).toBe('Failed');
    },
  );

  it.each(PLACES)('should only save the requirements with --save-only in %s', async (_label, where) => {
    const { text } = await one('install chat-dev --save-only\nlangchain==0.3.9\nfaiss-cpu', where);
    expect(inOrder(text, 'Saving requirements for chat-dev', 'done')).toBe(true);
    expect(text).toContain('Saved requirements.txt (2 lines) without installing');
    expect(await runtimeOf(stack, 'chat-dev')).toMatchObject({
      status: 'Running',
      packages: ['langchain==0.3.9', 'faiss-cpu'],
      packagesInstalled: false,
    });
  });

  it.each(PLACES)('should read an attached requirements.txt in %s', async (_label, where) => {
    const attachments = [{ contentType: 'text/plain', name: 'requirements.txt', content: 'numpy==2.1.3\npandas\n' }];
    const { text, final } = await change('install chat-dev', where, 'Installing packages into chat-dev', 'alex', {
      attachments,
    });
    expect(text).toContain('Installing 2 lines of requirements');
    expect(inOrder(final, 'Installing packages into chat-dev', 'done')).toBe(true);
  });

  it.each(PLACES)(
    'should never send a private feed token from an attached file back to Teams in %s',
    async (_label, where) => {
      const attachments = [
        {
          contentType: 'text/plain',
          name: 'requirements.txt',
          content: '-i https://SECRET123@pkgs.example/simple\nprivate-pkg==1.0',
        },
      ];
      const { final } = await change('install chat-dev', where, 'Installing packages into chat-dev', 'alex', {
        attachments,
      });
      expect(inOrder(final, 'Installing packages into chat-dev', 'done')).toBe(true);
      expect((await one('status chat-dev', where)).text).toContain('https://***@pkgs.example/simple');
      expect(JSON.stringify(stack.connector.calls)).not.toContain('SECRET123');
    },
  );

  // `-i`, `--index-url` & co. are pip options inside requirement lines, not options of the command.
  it.each(
    everywhere([
      { how: '-i on one line', text: 'install chat-dev -i https://SECRET123@pkgs.example/simple private-pkg' },
      {
        how: '--index-url on its own line',
        text: 'install chat-dev\n--index-url https://SECRET123@pkgs.example/simple\nprivate-pkg',
      },
    ]),
  )(
    'should install from a private feed given with $how and never echo its token in $place',
    async ({ text, where }) => {
      const { final } = await change(text, where, 'Installing packages into chat-dev');
      expect(inOrder(final, 'Installing packages into chat-dev', 'done')).toBe(true);
      const packages: string[] = (await runtimeOf(stack, 'chat-dev')).packages;
      expect(packages).toContain('private-pkg');
      expect(packages.some((line) => /^(?:-i|--index-url) https:\/\/\*\*\*@pkgs\.example\/simple$/.test(line))).toBe(
        true,
      );
      expect(JSON.stringify(stack.connector.calls)).not.toContain('SECRET123');
    },
  );

  it.each(
    everywhere([
      { text: 'install', problem: 'Which runtime? Give its name.' },
      { text: 'install chat-dev --force numpy', problem: 'Unknown option `--force`.' },
    ]),
  )('should answer $text with $problem and the usage in $place', async ({ text, problem, where }) => {
    const reply = await one(text, where);
    expect(reply.text).toContain(problem);
    expect(reply.text).toContain(usageOf('install'));
  });

  it.each(PLACES)('should refuse packages on a compute instance runtime in %s', async (_label, where) => {
    expect((await one('install ci-alex-runtime numpy', where)).text).toContain(
      'takes packages through a customized environment',
    );
  });
});

describe('reset, stop and upgrade', () => {
  it.each(
    everywhere([
      { text: 'reset chat-dev', title: 'Resetting chat-dev' },
      { text: 'restart prod-chat', title: 'Resetting prod-chat' },
      { text: 'stop rag-eval', title: 'Stopping rag-eval' },
      { text: 'upgrade prod-chat', title: 'Upgrading prod-chat' },
      { text: 'upgrade ci-alex-runtime', title: 'Upgrading ci-alex-runtime' },
    ]),
  )('should acknowledge $text at once and report done after it ran in $place', async ({ text, title, where }) => {
    const { text: ack, final } = await change(text, where, title);
    expect(ack).toMatch(/Operation `?[0-9a-f-]{36}/);
    expect(inOrder(final, title, 'done')).toBe(true);
  });

  it.each(PLACES)('should delete a stopped runtime in %s', async (_label, where) => {
    await change('stop rag-eval', where, 'Stopping rag-eval');
    expect((await one('status rag-eval', where)).text).toContain('There is no runtime named rag-eval.');
  });

  it.each(PLACES)('should move an upgraded runtime to the latest image in %s', async (_label, where) => {
    await change('upgrade prod-chat', where, 'Upgrading prod-chat');
    expect((await runtimeOf(stack, 'prod-chat')).imageVersion).toBe(latest);
    const { text } = await one('versions prod-chat', where);
    expect(text).toMatch(/up to date|the latest version/i);
  });

  it.each(PLACES)(
    'should say clearly that a runtime on the latest image needs no upgrade in %s',
    async (_label, where) => {
      expect((await one('upgrade chat-dev', where)).text).toBe(
        `chat-dev already runs the latest image version, ${latest}.`,
      );
      expect(await operations(stack, 'upgrade')).toHaveLength(0);
    },
  );

  it.each(PLACES)('should explain why an unavailable runtime cannot be reset in %s', async (_label, where) => {
    expect((await one('reset legacy-ocr', where)).text).toBe(
      'Cannot reset legacy-ocr while it is Unavailable. Start its compute instance first.',
    );
  });

  it.each(PLACES)('should say who is busy with a runtime in %s', async (_label, where) => {
    await one('reset chat-dev', where, 'megan');
    const { text } = await one('upgrade chat-dev', where);
    expect(text).toContain('chat-dev is busy');
    expect(text).toContain('Megan Bowen');
  });

  it.each(everywhere([{ verb: 'reset' }, { verb: 'stop' }, { verb: 'upgrade' }, { verb: 'update' }]))(
    'should ask which runtime for a bare $verb in $place',
    async ({ verb, where }) => {
      const { text } = await one(verb, where);
      expect(text).toContain('Which runtime? Give its name.');
      expect(text).toContain(usageOf(verb));
    },
  );

  it.each(
    everywhere([{ text: 'reset nope-runtime' }, { text: 'stop nope-runtime' }, { text: 'upgrade nope-runtime' }]),
  )('should say there is no such runtime for $text in $place', async ({ text, where }) => {
    expect((await one(text, where)).text).toContain('There is no runtime named nope-runtime.');
    expect(await operations(stack)).toHaveLength(0);
  });

  it.each(
    everywhere([
      { text: 'reset chat-dev --now' },
      { text: 'stop chat-dev --force' },
      { text: 'upgrade chat-dev --to 1' },
    ]),
  )('should refuse options in $text in $place', async ({ text, where }) => {
    expect((await one(text, where)).text).toContain('Unknown option');
    expect(await operations(stack)).toHaveLength(0);
  });
});

describe('versions', () => {
  it.each(PLACES)('should show the latest image and every outdated runtime in %s', async (_label, where) => {
    const { text } = await one('versions', where);
    expect(inOrder(text, 'Latest', latest)).toBe(true);
    expect(inOrder(text, 'prod-chat', '20250831.v1', '2 newer')).toBe(true);
    expect(inOrder(text, 'ci-alex-runtime', '20250831.v1')).toBe(true);
    expect(inOrder(text, 'legacy-ocr', '20241031.v1')).toBe(true);
    expect(text).not.toMatch(/(^|\n)chat-dev\b/);
  });

  it.each(PLACES)('should list what is new for an outdated runtime in %s', async (_label, where) => {
    const { text } = await one('versions prod-chat', where);
    expect(text).toMatch(/^prod-chat\b/);
    expect(text).toContain('20250831.v1');
    expect(text).toContain(latest);
    expect(text).toMatch(/outdated|is out/i);
    expect(text).toContain('GNU C Library and dpkg security updates.');
    expect(text).toMatch(/upgrade/i);
  });

  it.each(everywhere([{ text: 'versions chat-dev' }, { text: 'check chat-dev' }, { text: 'version CHAT-DEV' }]))(
    'should confirm an up-to-date runtime for $text in $place',
    async ({ text, where }) => {
      const reply = await one(text, where);
      expect(reply.text).toMatch(/^chat-dev\b/);
      expect(reply.text).toContain(latest);
      expect(reply.text).toMatch(/up to date|the latest version/i);
      expect(reply.text).not.toMatch(/outdated/i);
    },
  );

  it.each(PLACES)('should say there is no such runtime in %s', async (_label, where) => {
    expect((await one('versions nope-runtime', where)).text).toContain('There is no runtime named nope-runtime.');
  });
});

describe('the command language', () => {
  it.each(
    everywhere([
      { prefixed: 'runtime list', bare: 'list' },
      { prefixed: 'runtime status', bare: 'status' },
      { prefixed: 'runtime status rag-eval', bare: 'status rag-eval' },
      { prefixed: 'RUNTIME Versions prod-chat', bare: 'versions prod-chat' },
      { prefixed: 'Runtime HELP install', bare: 'help install' },
      { prefixed: 'runtime frobnicate', bare: 'frobnicate' },
      // Azure's name for the automatic runtime since 2024 works as the prefix too.
      { prefixed: 'session status', bare: 'status' },
      { prefixed: 'session status chat-dev', bare: 'status chat-dev' },
      { prefixed: 'Session list --type session', bare: 'list --type session' },
      { prefixed: 'SESSION versions chat-dev', bare: 'versions chat-dev' },
    ]),
  )('should answer $prefixed exactly like $bare in $place', async ({ prefixed, bare, where }) => {
    const volatile = (s: string) => s.replace(/\(\d+ \w+ ago\)|\(in [^)]+\)/g, '');
    expect(volatile((await one(prefixed, where)).text)).toBe(volatile((await one(bare, where)).text));
  });

  it.each(
    everywhere([
      { text: 'stauts', guess: 'status' },
      { text: 'runtime lsit', guess: 'list' },
      { text: 'instal chat-dev numpy', guess: 'install' },
      { text: 'upgarde prod-chat', guess: 'upgrade' },
      { text: 'rest chat-dev', guess: 'reset' },
      { text: 'STOPP rag-eval', guess: 'stop' },
    ]),
  )('should answer the unknown verb in $text with "Did you mean $guess?" in $place', async ({ text, guess, where }) => {
    const { text: reply } = await one(text, where);
    expect(reply).toContain(`Did you mean \`${guess}\`?`);
    expect(await operations(stack)).toHaveLength(0);
  });

  it.each(PLACES)('should point to help for a verb that resembles nothing in %s', async (_label, where) => {
    expect((await one('frobnicate chat-dev', where)).text).toBe(
      "I don't know `frobnicate`. Say `help` to see what I can do.",
    );
  });

  it.each(PLACES)('should keep the case of runtime names in replies in %s', async (_label, where) => {
    expect((await one('create Chat-EVAL --vm-size standard_e4ds_v4', where)).text).toContain('Creating Chat-EVAL');
    expect((await one('list', where)).text).toContain('Chat-EVAL');
    expect((await one('status chat-eval', where)).text).toMatch(/^Chat-EVAL\b/);
    expect((await one('status Nope-Runtime', where)).text).toContain('There is no runtime named Nope-Runtime.');
  });

  it.each(PLACES)('should strip several mentions wherever they are in %s', async (_label, where) => {
    expect((await one('<at>Runtime Bot</at> status <at>Megan Bowen</at> rag-eval', where)).text).toMatch(/^rag-eval\b/);
  });

  it.each(PLACES)('should take a quoted flag value in %s', async (_label, where) => {
    const { text } = await one('list --status "Failed"', where);
    expect(inOrder(text, 'rag-eval', 'Failed')).toBe(true);
  });
});
