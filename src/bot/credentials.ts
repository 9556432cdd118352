/**
 * The credentials the bot signs its replies with, one factory per identity type Azure Bot offers:
 * - SingleTenant: the app's secret, from its own tenant's authority;
 * - UserAssignedMSI: a token of the managed identity whose client id is the app id (no secret at all);
 * - MultiTenant (registrations made before 2025-07-31): the app's secret, from the botframework.com tenant.
 */
import { type DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import type { BotConfig } from '../config';
import {
  ManagedIdentityServiceClientCredentialsFactory,
  PasswordServiceClientCredentialFactory,
  type ServiceClientCredentialsFactory,
} from './sdk';

export function credentialsFactory(config: BotConfig): ServiceClientCredentialsFactory {
  const appId = config.appId ?? '';
  if (!appId) return new PasswordServiceClientCredentialFactory('', ''); // authentication off (loopback only)
  switch (config.appType) {
    case 'UserAssignedMSI':
      return new ManagedIdentityServiceClientCredentialsFactory(appId, {
        // A ManagedIdentityCredential, not botbuilder's DefaultAzureCredential: that one tries
        // AZURE_CLIENT_ID/AZURE_CLIENT_SECRET first, which the runtime service's Azure ML provider may
        // use, and would then sign the bot's replies as the wrong app.
        createAzureServiceTokenProvider: (clientId: string) =>
          new ManagedIdentityCredential({ clientId }) as unknown as DefaultAzureCredential,
      });
    case 'SingleTenant':
      return new PasswordServiceClientCredentialFactory(appId, config.appPassword ?? '', config.appTenantId ?? '');
    case 'MultiTenant':
      return new PasswordServiceClientCredentialFactory(appId, config.appPassword ?? '', '');
  }
}
