/**
 * Every bot command end to end against Azure ML: a Teams-shaped activity is POSTed to the real bot,
 * which calls the real runtime service over HTTP, whose `azureml` provider calls the loopback Azure
 * ML fake with tokens that a real ClientSecretCredential got from the loopback Entra endpoint. Each
 * test checks what the user sees (the reply, and the progress message once the tracker updated it)
 * and what reached Azure. The fake validates every request against the OpenAPI document: no test may
 * leave a violation, and no reply may show a stack trace or a token.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Verb } from '../../../src/core/actions/verbs';
import { COMMANDS } from '../../../src/core/commands/registry';
import { messageActivity, postActivity, type Who } from '../../helpers/activities';
import { type AzureMlStack, startAzureMlStack } from '../../helpers/azuremlStack';
import { ask, expectNoInternals, inOrder, runtimeOf, shownText, visibleText } from './support';

const OLD = '20240429.v8';
const LATEST = '20251211.v2';
const WORKSPACE = 'ws-promptflow';
const STRANGER = '99999999-9999-9999-9999-999999999999';

let stack: AzureMlStack;

/**
 * The workspace as the studio left it, before the service starts (its first sync reads it):
 * - ci-bot, a compute instance of the bot's own identity; ci-other, someone else's;
 * - studio-rt, a compute instance runtime on an old image; mir-seed, a deployment runtime;
 *   broken-rt, a compute instance runtime that failed.
 */
beforeEach(async () => {
  stack = await startAzureMlStack({
    seed: (fake, tokens) => {
      fake.addComputeInstance({ name: 'ci-bot', ownerObjectId: tokens.defaultClient.objectId });
      fake.addComputeInstance({ name: 'ci-other', ownerObjectId: STRANGER });
      fake.addRuntime({
        name: 'studio-rt',
        computeInstanceName: 'ci-bot',
        customAppName: 'studio-app',
        imageTag: OLD,
        description: 'Made in the studio',
      });
      fake.addRuntime({
        name: 'mir-seed',
        runtimeType: 'ManagedOnlineEndpoint',
        endpointName: 'ep-seed',
        deploymentName: 'green',
        instanceType: 'Standard_DS3_v2',
        instanceCount: 1,
      });
      fake.addRuntime({ name: 'broken-rt', computeInstanceName: 'ci-bot', customAppName: 'broken-app' });
      fake.setRuntimeStatus('broken-rt', 'Failed', {
        error: 'The custom application could not start: image pull failed.',
      });
    },
  });
});

afterEach(async () => {
  try {
    expect(stack.fake.violations).toEqual([]);
    for (const call of stack.connector.calls) expectNoInternals(visibleText(call.activity));
    expectNoSecrets(JSON.stringify(stack.connector.calls));
  } finally {
    await stack.close();
  }
});

/** No token the endpoint issued, no client secret, nothing shaped like a JWT. */
function expectNoSecrets(text: string): void {
  for (const issued of stack.tokens.issued) expect(text).not.toContain(issued.token);
  expect(text).not.toContain(stack.tokens.defaultClient.clientSecret);
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  expect(text).not.toMatch(/Bearer\s/);
}

/** Says one message and expects exactly one reply; returns what it shows and its message id. */
async function one(text: string, who: Who = 'alex') {
  const { status, replies, ids } = await ask(stack, text, who);
  expect(status).toBe(200);
  expect(replies).toHaveLength(1);
  return { text: replies[0], id: ids[0] };
}

/** Says a change, expects its acknowledgement at once, runs it to the end and returns the final text. */
async function change(text: string, title: string, who: Who = 'alex') {
  const reply = await one(text, who);
  expect(inOrder(reply.text, title, 'In progress'), reply.text).toBe(true);
  await stack.settle();
  return { ...reply, final: shownText(stack, reply.id) };
}

const done = (final: string, title: string) => expect(inOrder(final, title, 'Done'), final).toBe(true);
const failed = (final: string, title: string) => expect(inOrder(final, title, 'Failed'), final).toBe(true);
const sessionCalls = () => stack.fake.callsTo('FlowSessions_CreateFlowSession');

/** Clicks an Action.Execute button on a card as a user; returns the HTTP status and what the answer shows. */
async function click(verb: string, data: Record<string, unknown>, who: Who = 'alex') {
  const activity = {
    ...messageActivity(stack.connector.url, '', who),
    type: 'invoke',
    name: 'adaptiveCard/action',
    text: undefined,
    replyToId: 'card-1',
    value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
  };
  const { status, body } = await postActivity(stack.botUrl, activity);
  const answer = body ? JSON.parse(body) : {};
  expectNoSecrets(body);
  const shown =
    answer.type === 'application/vnd.microsoft.card.adaptive'
      ? visibleText({ type: 'message', attachments: [{ contentType: answer.type, content: answer.value }] })
      : String(answer.value ?? '');
  expectNoInternals(shown);
  return { status, type: answer.type as string | undefined, shown };
}

describe('reading the workspace', () => {
  it('should answer help without calling Azure', async () => {
    const calls = stack.fake.calls.length;
    const { text } = await one('help');
    for (const command of COMMANDS) expect(inOrder(text, command.name, command.summary)).toBe(true);
    expect(stack.fake.calls.length).toBe(calls);
  });

  it('should list the runtimes made in the studio, and one made later after the next sync', async () => {
    const list = await one('list');
    expect(list.text).toMatch(/runtimes \(3\)/i);
    expect(inOrder(list.text, 'broken-rt', 'Failed', 'Compute instance')).toBe(true);
    expect(inOrder(list.text, 'mir-seed', 'Running', 'Online deployment')).toBe(true);
    expect(inOrder(list.text, 'studio-rt', 'Running', 'Compute instance')).toBe(true);
    // The list came from the start-up sync: the message itself did not wait on Azure.
    expect(stack.fake.callsTo('FlowRuntimes_ListRuntimes')).toHaveLength(1);

    stack.fake.addRuntime({ name: 'late-rt', computeInstanceName: 'ci-bot', customAppName: 'late-app' });
    expect((await one('list')).text).not.toContain('late-rt');
    await stack.sync();
    const after = await one('list');
    expect(after.text).toMatch(/runtimes \(4\)/i);
    expect(inOrder(after.text, 'late-rt', 'Running', 'Compute instance')).toBe(true);
    expect(stack.fake.callsTo('FlowRuntimes_ListRuntimes')).toHaveLength(2);
  });

  it('should give the on-call summary: what failed, with Azure reason, and what is outdated', async () => {
    const { text } = await one('status');
    expect(text).toContain('On-call summary');
    expect(text).toMatch(/\b3 runtimes\b/);
    expect(inOrder(text, 'broken-rt', 'Failed')).toBe(true);
    expect(text).toContain('The custom application could not start: image pull failed.');
    const outdated = text.slice(text.search(/Outdated/));
    expect(outdated).toContain(LATEST);
    expect(inOrder(outdated, 'studio-rt', OLD)).toBe(true);
    expect(text).not.toContain('mir-seed'); // healthy and current: nothing to say
  });

  it('should show one runtime in detail, as Azure describes it', async () => {
    const { text } = await one('status studio-rt');
    expect(text).toMatch(/^studio-rt\b/);
    expect(inOrder(text, 'Status', 'Running')).toBe(true);
    expect(inOrder(text, 'Type', 'Compute instance')).toBe(true);
    expect(inOrder(text, 'Image version', OLD, 'Outdated', LATEST)).toBe(true);
    expect(inOrder(text, 'Compute instance', 'ci-bot')).toBe(true);
    expect(inOrder(text, 'Custom application', 'studio-app')).toBe(true);
    expect(text).toContain('Made in the studio');

    const mir = (await one('status mir-seed')).text;
    expect(inOrder(mir, 'Endpoint', 'ep-seed')).toBe(true);
    expect(inOrder(mir, 'Deployment', 'green')).toBe(true);
    expect((await one('status nope-rt')).text).toBe(
      'There is no runtime named nope-rt. Say `list` to see the runtimes.',
    );
  });

  it('should show a status Azure never documented as it comes, in the detail and the list', async () => {
    stack.fake.setRuntimeStatus('mir-seed', 'Reconfiguring', { statusMessage: 'Moving to new hardware' });
    await stack.sync();
    const { text } = await one('status mir-seed');
    expect(inOrder(text, 'Status', 'Reconfiguring')).toBe(true);
    expect(text).toContain('Moving to new hardware');
    expect(inOrder((await one('list')).text, 'mir-seed', 'Reconfiguring')).toBe(true);
    expect((await runtimeOf(stack, 'mir-seed')).status).toBe('Reconfiguring');
  });

  it('should list the outdated runtimes, and what is new for one', async () => {
    const all = await one('versions');
    expect(inOrder(all.text, 'Latest', LATEST)).toBe(true);
    expect(inOrder(all.text, 'studio-rt', OLD)).toBe(true);
    expect(all.text).not.toContain('mir-seed');

    const detail = await one('versions studio-rt');
    expect(detail.text).toMatch(/^studio-rt\b/);
    expect(inOrder(detail.text, 'Current', OLD)).toBe(true);
    expect(inOrder(detail.text, 'Latest', LATEST)).toBe(true);
    expect(detail.text).toMatch(/outdated/i);
    expect((await one('versions mir-seed')).text).toMatch(/up to date|the latest version/i);
  });

  it('should show a runtime from a card button (runtime.view)', async () => {
    const answer = await click(Verb.ViewRuntime, { name: 'studio-rt' });
    expect(answer.status).toBe(200);
    expect(answer.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(answer.shown).toMatch(/^studio-rt\b/);
    expect(inOrder(answer.shown, 'Image version', OLD, 'Outdated')).toBe(true);
  });
});

describe('creating runtimes by flags', () => {
  it('should create an automatic runtime through FlowSessions, with both tokens', async () => {
    const { text, final } = await change('create chat-dev --vm-size Standard_E4ds_v4 --idle 120', 'Creating chat-dev');
    expect(text).toContain('Sending the create of chat-dev to Azure ML');
    done(final, 'Creating chat-dev');
    expect(final).toContain('chat-dev is running');

    const calls = sessionCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0].path).toMatch(new RegExp(`/workspaces/${WORKSPACE}/FlowSessions/chat-dev$`));
    expect(calls[0].body).toMatchObject({ action: 'Install', vmSize: 'Standard_E4ds_v4', maxIdleTimeSeconds: 7200 });
    // A real ClientSecretCredential got both tokens from the endpoint; the fake accepted them.
    const grants = stack.tokens.requests.filter((r) => r.grantType === 'client_credentials' && r.status === 200);
    expect(grants.map((r) => r.scope).sort()).toEqual([
      'https://management.azure.com/.default',
      'https://ml.azure.com/.default',
    ]);
    const token = (scope: string) => stack.tokens.issued.find((t) => t.scope === scope)!.token;
    expect(calls[0].headers.authorization).toBe(`Bearer ${token('https://management.azure.com/.default')}`);
    expect(calls[0].headers['aml-user-token']).toBe(token('https://ml.azure.com/.default'));
    expect(stack.fake.sessions.sessions.get('chat-dev')).toMatchObject({
      vmSize: 'Standard_E4ds_v4',
      maxIdleTimeSeconds: 7200,
    });

    const status = (await one('status chat-dev')).text;
    expect(inOrder(status, 'Status', 'Running')).toBe(true);
    expect(inOrder(status, 'VM size', 'Standard_E4ds_v4')).toBe(true);
    expect(await runtimeOf(stack, 'chat-dev')).toMatchObject({ type: 'automatic', idleTimeMinutes: 120 });
  });

  it("should create a compute instance runtime on the bot identity's instance", async () => {
    const { text, final } = await change('create ci-rt --type ci --compute ci-bot --app new', 'Creating ci-rt');
    expect(text).toContain('Creating a new custom application restarts ci-bot');
    done(final, 'Creating ci-rt');
    expect(final).toContain('ci-rt is Running');
    expect(stack.fake.callsTo('FlowRuntimes_CheckCiAvailability')).toHaveLength(1);
    expect(stack.fake.callsTo('FlowRuntimes_CreateRuntime').map((c) => c.body)).toEqual([
      expect.objectContaining({ runtimeType: 'ComputeInstance', computeInstanceName: 'ci-bot' }),
    ]);
    expect(stack.fake.runtimes.get('ci-rt')).toMatchObject({
      computeInstanceName: 'ci-bot',
      customAppName: 'ci-rt-app',
      status: null, // healthy: the service has no status for it
      owner: { objectId: stack.tokens.defaultClient.objectId },
    });
    const status = (await one('status ci-rt')).text;
    expect(inOrder(status, 'Custom application', 'ci-rt-app')).toBe(true);
    expect(inOrder(status, 'Image version', LATEST)).toBe(true);
  });

  it('should create a managed online deployment runtime, then scale it', async () => {
    const { final } = await change(
      'create dep-rt --type deployment --endpoint ep-one --deployment blue --instance-type Standard_E4ds_v4 --instance-count 2',
      'Creating dep-rt',
    );
    done(final, 'Creating dep-rt');
    expect(stack.fake.callsTo('FlowRuntimes_CreateRuntime').at(-1)?.body).toMatchObject({
      runtimeType: 'ManagedOnlineEndpoint',
      endpointName: 'ep-one',
      deploymentName: 'blue',
      instanceType: 'Standard_E4ds_v4',
      instanceCount: 2,
    });
    expect(stack.fake.runtimes.get('dep-rt')).toMatchObject({ instanceCount: 2, status: null });

    const scaled = await change('update dep-rt --instance-count 3', 'Updating dep-rt');
    done(scaled.final, 'Updating dep-rt');
    expect(stack.fake.callsTo('FlowRuntimes_UpdateRuntime').map((c) => c.body)).toEqual([{ instanceCount: 3 }]);
    expect(stack.fake.runtimes.get('dep-rt').instanceCount).toBe(3);
    expect(await runtimeOf(stack, 'dep-rt')).toMatchObject({ instanceCount: 3, status: 'Running' });
  });
});

describe('changing an automatic runtime', () => {
  beforeEach(async () => {
    await change('create chat-dev --vm-size Standard_E4ds_v4', 'Creating chat-dev');
  });

  it('should change the idle time with update', async () => {
    const { final } = await change('update chat-dev --idle 90', 'Updating chat-dev');
    done(final, 'Updating chat-dev');
    expect(sessionCalls().at(-1)?.body).toEqual({ action: 'Update', maxIdleTimeSeconds: 5400 });
    expect(stack.fake.sessions.sessions.get('chat-dev')?.maxIdleTimeSeconds).toBe(5400);
    expect((await runtimeOf(stack, 'chat-dev')).idleTimeMinutes).toBe(90);
  });

  it('should install requirement lines and show Done', async () => {
    const { text, final } = await change('install chat-dev numpy==2.1.3 pandas', 'Installing packages into chat-dev');
    expect(text).toContain('Sending the install of chat-dev to Azure ML');
    done(final, 'Installing packages into chat-dev');
    expect(final).toContain('Installed the requirements on chat-dev');
    // The full request, as the SDK sent it: the session's settings with the lines.
    expect(sessionCalls().at(-1)?.body).toEqual({
      action: 'Install',
      vmSize: 'Standard_E4ds_v4',
      maxIdleTimeSeconds: 3600,
      pythonPipRequirements: ['numpy==2.1.3', 'pandas'],
    });
    expect(stack.fake.sessions.sessions.get('chat-dev')?.requirements).toEqual(['numpy==2.1.3', 'pandas']);
    expect(await runtimeOf(stack, 'chat-dev')).toMatchObject({
      status: 'Running',
      packages: ['numpy==2.1.3', 'pandas'],
      packagesInstalled: true,
    });
  });

  it("should end the progress message Failed with pip's message for a requirement that does not exist", async () => {
    const { final } = await change('install chat-dev no-such-package-xyz==1.0', 'Installing packages into chat-dev');
    failed(final, 'Installing packages into chat-dev');
    expect(final).toContain('pip could not install the requirements');
    expect(final).toContain('ERROR: Could not find a version that satisfies the requirement no-such-package-xyz==1.0');
    expect(final).toContain('ERROR: No matching distribution found for no-such-package-xyz==1.0');
    const status = (await one('status chat-dev')).text;
    expect(inOrder(status, 'Status', 'Failed')).toBe(true);
    expect(status).toContain('no-such-package-xyz');
  });

  it('should reset it', async () => {
    const { final } = await change('reset chat-dev', 'Resetting chat-dev');
    done(final, 'Resetting chat-dev');
    const [reset, install] = sessionCalls()
      .slice(-2)
      .map((c) => c.body);
    expect(reset).toMatchObject({ action: 'Reset', vmSize: 'Standard_E4ds_v4' });
    expect(install).toEqual({ ...(reset as object), action: 'Install' });
    expect((await runtimeOf(stack, 'chat-dev')).status).toBe('Running');
  });

  it('should stop it, which deletes the session', async () => {
    const { final } = await change('stop chat-dev', 'Stopping chat-dev');
    done(final, 'Stopping chat-dev');
    expect(final).toContain('Deleted chat-dev');
    expect(stack.fake.sessions.sessions.has('chat-dev')).toBe(false);
    expect((await one('status chat-dev')).text).toContain('There is no runtime named chat-dev.');
  });
});

describe('upgrading and stopping the studio runtimes', () => {
  it('should upgrade an outdated compute instance runtime through needUpgrade and a PUT', async () => {
    const { text, final } = await change('upgrade studio-rt', 'Upgrading studio-rt');
    expect(text).toMatch(/Operation `?[0-9a-f-]{36}/);
    done(final, 'Upgrading studio-rt');
    expect(stack.fake.callsTo('FlowRuntimes_CheckRuntimeUpgrade')).toHaveLength(1);
    expect(stack.fake.callsTo('FlowRuntimes_UpdateRuntime')).toHaveLength(1);
    expect(stack.fake.runtimes.get('studio-rt').imageTag).toBe(LATEST);
    expect((await one('versions studio-rt')).text).toMatch(/up to date|the latest version/i);
    expect((await one('upgrade studio-rt')).text).toBe(`studio-rt already runs the latest image version, ${LATEST}.`);
  });

  it('should upgrade an automatic runtime on an old image by resetting it on the latest one', async () => {
    const image = `mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable:${OLD}`;
    await change(`create old-chat --vm-size Standard_E4ds_v4 --image ${image}`, 'Creating old-chat');
    expect(inOrder((await one('versions old-chat')).text, 'Current', OLD)).toBe(true);
    const { final } = await change('upgrade old-chat', 'Upgrading old-chat');
    done(final, 'Upgrading old-chat');
    expect(sessionCalls().at(-2)?.body).toMatchObject({ action: 'Reset', baseImage: image.replace(OLD, LATEST) });
    expect(sessionCalls().at(-1)?.body).toMatchObject({ action: 'Install', baseImage: image.replace(OLD, LATEST) });
    expect(stack.fake.sessions.sessions.get('old-chat')?.baseImage).toMatch(new RegExp(`:${LATEST}$`));
  });

  it('should upgrade from the card button', async () => {
    const answer = await click(Verb.Upgrade, { name: 'studio-rt' });
    expect(answer.status).toBe(200);
    expect(answer.shown).toContain('Upgrading studio-rt');
    await stack.settle();
    expect(stack.fake.runtimes.get('studio-rt').imageTag).toBe(LATEST);
  });

  it('should stop a compute instance runtime, which deletes it in Azure', async () => {
    const { final } = await change('stop studio-rt', 'Stopping studio-rt');
    done(final, 'Stopping studio-rt');
    expect(stack.fake.callsTo('FlowRuntimes_DeleteRuntime')).toHaveLength(1);
    expect(stack.fake.runtimes.runtimes.get('studio-rt')?.status).toBe('NotExist'); // as a GET reads it after a delete
    expect((await one('status studio-rt')).text).toContain('There is no runtime named studio-rt.');
  });
});

describe('what Azure refuses, and when it is busy', () => {
  it('should name the AzureML Data Scientist role when Azure answers 403', async () => {
    stack.fake.principalsWithoutRole.add(stack.tokens.defaultClient.clientId);
    const { final } = await change('create chat-dev --vm-size Standard_E4ds_v4', 'Creating chat-dev');
    failed(final, 'Creating chat-dev');
    expect(final).toContain('needs the AzureML Data Scientist role on workspace ws-promptflow');
    expect(sessionCalls().map((c) => c.status)).toEqual([403]);

    const stop = await change('stop studio-rt', 'Stopping studio-rt');
    failed(stop.final, 'Stopping studio-rt');
    expect(stop.final).toContain('AzureML Data Scientist');
    expect(stack.fake.runtimes.runtimes.has('studio-rt')).toBe(true);
  });

  it('should say plainly what is missing when Azure answers 404', async () => {
    stack.fake.runtimes.runtimes.delete('studio-rt'); // deleted in the studio since the last sync
    const { final } = await change('update studio-rt --description "Nightly eval"', 'Updating studio-rt');
    failed(final, 'Updating studio-rt');
    expect(final).toContain(`Azure ML has no runtime studio-rt in workspace ${WORKSPACE}`);
  });

  it('should say plainly what is in conflict when Azure answers 409', async () => {
    stack.fake.addRuntime({ name: 'taken', computeInstanceName: 'ci-bot', customAppName: 'x-app' });
    const taken = await change('create taken --type ci --compute ci-bot --app new', 'Creating taken');
    failed(taken.final, 'Creating taken');
    expect(taken.final).toMatch(/taken already exists in Azure ML, made outside the bot/);

    const mir = await change(
      'create mir-b --type deployment --endpoint ep-seed --deployment green --instance-type Standard_DS3_v2',
      'Creating mir-b',
    );
    failed(mir.final, 'Creating mir-b');
    expect(mir.final).toContain('conflict on runtime mir-b: Deployment ep-seed/green is already used');
  });

  it("should say that a compute instance is someone else's, not blame the role, when Azure refuses it", async () => {
    const { final } = await change('create ci-rt --type ci --compute ci-other --app new', 'Creating ci-rt');
    failed(final, 'Creating ci-rt');
    // Azure answers 403 ComputeInstanceNotOwned ("Compute instance ci-other belongs to another user…").
    expect(stack.fake.callsTo('FlowRuntimes_CreateRuntime').map((c) => c.status)).toEqual([403]);
    const reason = final.slice(final.indexOf('Why it failed'));
    expect(reason).toMatch(/ci-other[^\n]*(another user|owner|own|assigned)/i);
    expect(final).not.toContain('AzureML Data Scientist');
  });

  it('should retry a 429 after its Retry-After and succeed', async () => {
    stack.fake.inject({ method: 'POST', pathIncludes: '/FlowSessions/', status: 429, retryAfterSeconds: 2 });
    const { final } = await change('create chat-dev --vm-size Standard_E4ds_v4', 'Creating chat-dev');
    done(final, 'Creating chat-dev');
    expect(sessionCalls().map((c) => c.status)).toEqual([429, 202]);
    expect(stack.sleeps).toContain(2000);
    expect(final).not.toMatch(/slow down|busy/i);
  });
});
