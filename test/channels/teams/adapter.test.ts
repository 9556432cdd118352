import { describe, expect, it } from 'vitest';
import { createAdapter } from '../../../src/channels/teams/adapter';
import { credentialsFactory, ManagedIdentityCredentialsFactory } from '../../../src/channels/teams/auth/credentials';
import { correlation, correlationIdOf } from '../../../src/channels/teams/middleware/correlation';
import { createLogger } from '../../../src/logger';
import { botConfig } from '../../helpers/stack';

/** Just enough of a TurnContext for the turn-error handler. */
function fakeContext(type: string) {
  const sent: string[] = [];
  const turnState = new Map<unknown, unknown>();
  return {
    sent,
    context: {
      activity: { type, conversation: { id: 'c1' } },
      turnState,
      sendActivity: async (text: string) => {
        sent.push(text);
        return { id: 'x' };
      },
    },
  };
}

describe('adapter turn errors', () => {
  it('should answer an unhandled turn error with the turn correlation id, which is also logged', async () => {
    const lines: string[] = [];
    const adapter = createAdapter(
      botConfig(),
      createLogger('debug', {}, (l) => lines.push(l)),
    );
    const { context, sent } = fakeContext('message');
    await correlation.onTurn(context as never, async () => undefined);
    const id = correlationIdOf(context as never);
    await adapter.onTurnError(context as never, new Error('boom at /srv/app/secret.ts:12'));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain(id);
    expect(sent[0]).not.toContain('boom');
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'unhandled turn error');
    expect(logged.correlationId).toBe(id);
    expect(logged.error.message).toContain('boom');
  });

  it('should not send a message for a failed invoke: the channel shows the failure itself', async () => {
    const adapter = createAdapter(botConfig(), createLogger('silent'));
    const { context, sent } = fakeContext('invoke');
    await adapter.onTurnError(context as never, new Error('boom'));
    expect(sent).toHaveLength(0);
  });
});

describe('the credentials replies are signed with', () => {
  const APP_ID = '0b4c7f62-3a1e-4d58-9f21-6c0e8d7a5b13';
  const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const SCOPE = 'https://api.botframework.com';
  const LOGIN = 'https://login.microsoftonline.com/botframework.com';
  const credentialsFor = (bot: Parameters<typeof botConfig>[0]) =>
    credentialsFactory(botConfig({ appId: APP_ID, ...bot })).createCredentials(APP_ID, SCOPE, LOGIN, true);

  it("should use the app secret with the bot's own tenant for a SingleTenant bot", async () => {
    const credentials = await credentialsFor({ appType: 'SingleTenant', appTenantId: TENANT_ID, appPassword: 's' });
    expect(credentials).toMatchObject({
      appId: APP_ID,
      oAuthEndpoint: `https://login.microsoftonline.com/${TENANT_ID}`,
      oAuthScope: SCOPE,
    });
  });

  it('should use the app secret with the botframework.com tenant for a MultiTenant bot', async () => {
    expect(await credentialsFor({ appType: 'MultiTenant', appPassword: 's' })).toMatchObject({
      appId: APP_ID,
      oAuthEndpoint: LOGIN,
    });
  });

  it('should use the managed identity whose client id is the app id for a UserAssignedMSI bot, with no secret', async () => {
    const factory = credentialsFactory(
      botConfig({ appId: APP_ID, appType: 'UserAssignedMSI', appTenantId: TENANT_ID }),
    );
    expect(factory).toBeInstanceOf(ManagedIdentityCredentialsFactory);
    expect(factory).toMatchObject({ appId: APP_ID });
    expect(await factory.isAuthenticationDisabled()).toBe(false);
    expect(await factory.isValidAppId(APP_ID)).toBe(true);
    expect(await factory.isValidAppId('someone-else')).toBe(false);
  });

  it("should sign with the managed identity's token for the channel's scope", async () => {
    const scopes: string[] = [];
    const identity = {
      getToken: async (scope: string | string[]) => {
        scopes.push(String(scope));
        return { token: 'msi-token', expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const credentials = await new ManagedIdentityCredentialsFactory(APP_ID, identity).createCredentials(APP_ID, SCOPE);
    const headers = new Map<string, string>();
    await credentials.signRequest({ headers: { set: (name: string, value: string) => headers.set(name, value) } });
    expect(scopes).toEqual([`${SCOPE}/.default`]);
    expect(headers.get('authorization')).toBe('Bearer msi-token');
  });

  it('should turn authentication off without an app id', async () => {
    expect(await credentialsFactory(botConfig()).isAuthenticationDisabled()).toBe(true);
  });
});
