/**
 * The credentials the bot signs its replies with, one factory per identity type Azure Bot offers:
 * - SingleTenant: the app's secret, from its own tenant's authority;
 * - UserAssignedMSI: a token of the managed identity whose client id is the app id (no secret at all);
 * - MultiTenant (registrations made before 2025-07-31): the app's secret, from the botframework.com tenant.
 */
import { ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import type { BotConfig } from '../../../config';
import { ConfigurationServiceClientCredentialFactory, type ServiceClientCredentialsFactory } from '../sdk';

export function credentialsFactory(config: BotConfig): ServiceClientCredentialsFactory {
  if (config.appId && config.appType === 'UserAssignedMSI') return new ManagedIdentityCredentialsFactory(config.appId);
  // botbuilder's own factory for the secret-based types (and for no app id: authentication off).
  return new ConfigurationServiceClientCredentialFactory({
    MicrosoftAppId: config.appId ?? '',
    MicrosoftAppPassword: config.appPassword ?? '',
    MicrosoftAppType: config.appType,
    MicrosoftAppTenantId: config.appTenantId ?? '',
  });
}

/**
 * A user-assigned managed identity's tokens, from @azure/identity's ManagedIdentityCredential (which
 * caches and renews them). botbuilder's own factory for this type asks a DefaultAzureCredential, which
 * tries AZURE_CLIENT_ID/AZURE_CLIENT_SECRET first; the runtime service's Azure ML provider may set those,
 * and the bot's replies would then be signed as the wrong app.
 */
export class ManagedIdentityCredentialsFactory implements ServiceClientCredentialsFactory {
  constructor(
    readonly appId: string,
    private readonly credential: TokenCredential = new ManagedIdentityCredential({ clientId: appId }),
  ) {}

  async isValidAppId(appId = ''): Promise<boolean> {
    return appId === this.appId;
  }

  async isAuthenticationDisabled(): Promise<boolean> {
    return false;
  }

  async createCredentials(appId: string, audience = 'https://api.botframework.com') {
    if (appId !== this.appId) throw new Error('the managed identity signs for its own app id only');
    const scope = audience.endsWith('/.default') ? audience : `${audience}/.default`;
    const credential = this.credential;
    return {
      async signRequest<T extends { headers: { set(name: string, value: string): void } }>(request: T): Promise<T> {
        const token = await credential.getToken(scope);
        if (!token) throw new Error(`no managed identity token for ${scope}`);
        request.headers.set('authorization', `Bearer ${token.token}`);
        return request;
      },
    };
  }
}
