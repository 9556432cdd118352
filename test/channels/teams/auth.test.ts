/**
 * Who may talk to the bot: with an app id, every request must carry a valid Bot Framework JWT
 * (an unsigned or forged one gets 401 and changes nothing); ALLOWED_TENANT_IDS drops other tenants;
 * and the configuration refuses to expose an unauthenticated bot on the network.
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config';
import { messageActivity, postActivity, TENANT } from '../../helpers/activities';
import { type Stack, startStack } from '../../helpers/stack';
import { ask, operations, PLACES } from './support';

const APP_ID = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';

let stack: Stack | undefined;

afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const b64url = (value: object | string) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A well-formed HS256 token made up by an attacker: right audience, wrong issuer and key. */
function forgedJwt(serviceUrl: string): string {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url({ alg: 'HS256', typ: 'JWT' });
  const body = b64url({
    iss: 'https://evil.example',
    aud: APP_ID,
    serviceurl: serviceUrl,
    nbf: now - 60,
    exp: now + 3600,
  });
  const signature = createHmac('sha256', 'attacker-key').update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

/** Everything an accepted message could have changed, to compare before and after. */
async function snapshot(s: Stack) {
  const runtimes = await (await fetch(`${s.serviceUrl}/v1/runtimes`)).json();
  return {
    runtimes,
    operations: (await operations(s)).length,
    connectorCalls: s.connector.calls.length,
    conversations: await s.botStorage.list('conversations/'),
  };
}

describe('with an app id', () => {
  it.each(PLACES)('should answer an unsigned request with 401 and change nothing in %s', async (_label, where) => {
    stack = await startStack({ bot: { appId: APP_ID, appPassword: 'secret' } });
    const before = await snapshot(stack);
    for (const text of ['reset chat-dev', 'stop rag-eval', 'create rt-a --vm-size Standard_E4ds_v4']) {
      const res = await postActivity(stack.botUrl, messageActivity(stack.connector.url, text, 'alex', where));
      expect(res.status).toBe(401);
    }
    await stack.settle();
    expect(await snapshot(stack)).toEqual(before);
    expect(before).toMatchObject({ operations: 0, connectorCalls: 0, conversations: [] });
  });

  it.each([
    { what: 'a bare word', header: 'Bearer garbage' },
    { what: 'three junk segments', header: 'Bearer a.b.c' },
    { what: 'a header with no token', header: 'Bearer ' },
    { what: 'another scheme', header: 'Basic YWxleDpzZWNyZXQ=' },
    { what: 'a token with no scheme', header: 'eyJhbGciOiJub25lIn0.e30.' },
    {
      what: 'an unsigned alg=none JWT',
      header: `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ iss: 'https://evil.example', aud: APP_ID })}.`,
    },
  ])('should answer a request with $what as Authorization with 401', async ({ header }) => {
    stack = await startStack({ bot: { appId: APP_ID, appPassword: 'secret' } });
    const before = await snapshot(stack);
    const res = await postActivity(stack.botUrl, messageActivity(stack.connector.url, 'reset chat-dev'), {
      Authorization: header,
    });
    expect(res.status).toBe(401);
    expect(await snapshot(stack)).toEqual(before);
  });

  it('should answer a forged, well-formed JWT with 401 and change nothing', async () => {
    stack = await startStack({ bot: { appId: APP_ID, appPassword: 'secret' } });
    const before = await snapshot(stack);
    const res = await postActivity(stack.botUrl, messageActivity(stack.connector.url, 'reset chat-dev'), {
      Authorization: `Bearer ${forgedJwt(stack.connector.url)}`,
    });
    expect(res.status).toBe(401);
    expect(await snapshot(stack)).toEqual(before);
  });

  it('should still answer the health probe without a token', async () => {
    stack = await startStack({ bot: { appId: APP_ID, appPassword: 'secret' } });
    expect((await fetch(`${stack.botUrl}/healthz`)).status).toBe(200);
  });
});

describe('ALLOWED_TENANT_IDS', () => {
  it.each(PLACES)('should drop a message from a tenant that is not allowed in %s', async (_label, where) => {
    stack = await startStack({ bot: { allowedTenantIds: ['other-tenant'] } });
    const before = await snapshot(stack);
    const { status, replies } = await ask(stack, 'reset chat-dev', 'alex', where);
    expect(status).toBe(200);
    expect(replies).toEqual([]);
    await stack.settle();
    expect(await snapshot(stack)).toEqual(before);
  });

  it.each(PLACES)('should serve an allowed tenant, whatever the case of its id, in %s', async (_label, where) => {
    stack = await startStack({ bot: { allowedTenantIds: ['other-tenant', TENANT.toUpperCase()] } });
    const { replies } = await ask(stack, 'reset chat-dev', 'alex', where);
    expect(replies[0]).toContain('Resetting chat-dev');
    expect(await operations(stack, 'reset')).toHaveLength(1);
  });

  it('should drop a message that names no tenant at all', async () => {
    stack = await startStack({ bot: { allowedTenantIds: [TENANT] } });
    const activity = messageActivity(stack.connector.url, 'reset chat-dev', 'alex', { kind: 'personal' });
    const anonymous = { ...activity, channelData: {}, conversation: { ...activity.conversation, tenantId: undefined } };
    expect((await postActivity(stack.botUrl, anonymous)).status).toBe(200);
    expect(stack.connector.calls).toHaveLength(0);
    expect(await operations(stack)).toHaveLength(0);
  });
});

describe('loadConfig', () => {
  const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
    try {
      loadConfig(env);
      return [];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.problems;
    }
  };

  it.each([{ host: '0.0.0.0' }, { host: '::' }, { host: '10.1.2.3' }])(
    'should refuse HOST=$host without MicrosoftAppId',
    ({ host }) => {
      const problems = problemsOf({ HOST: host });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(`HOST=${host} without MicrosoftAppId`);
    },
  );

  it('should accept HOST=0.0.0.0 with an app id and password', () => {
    const config = loadConfig({
      HOST: '0.0.0.0',
      MicrosoftAppId: APP_ID,
      MicrosoftAppPassword: 'secret',
      POLICY_FILE: 'policy.yaml',
    });
    expect(config.bot).toMatchObject({ host: '0.0.0.0', appId: APP_ID });
    // With an app id, loopback service URLs are no longer trusted for proactive messages.
    expect(config.bot.allowedServiceUrlHosts).not.toContain('127.0.0.1');
  });

  it.each([
    { env: {}, host: '127.0.0.1' },
    { env: { HOST: 'localhost' }, host: 'localhost' },
    { env: { MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'x', POLICY_FILE: 'none' }, host: '0.0.0.0' },
  ])('should bind $host by default for $env', ({ env, host }) => {
    expect(loadConfig(env).bot.host).toBe(host);
  });

  it('should require the password that goes with an app id', () => {
    expect(problemsOf({ MicrosoftAppId: APP_ID, POLICY_FILE: 'none' })).toEqual([
      'MicrosoftAppPassword is required when MicrosoftAppId is set (MicrosoftAppType=MultiTenant); a bot with a managed identity sets MicrosoftAppType=UserAssignedMSI instead',
    ]);
  });

  it('should read ALLOWED_TENANT_IDS as a trimmed list', () => {
    expect(loadConfig({ ALLOWED_TENANT_IDS: ' t-1 , t-2,, ' }).bot.allowedTenantIds).toEqual(['t-1', 't-2']);
  });
});
