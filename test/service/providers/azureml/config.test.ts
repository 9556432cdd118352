/** RUNTIME_PROVIDER=azureml settings: what is required, where the API host comes from, every problem at once. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../../src/config';

const SUB = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
const base = {
  RUNTIME_PROVIDER: 'azureml',
  AZUREML_SUBSCRIPTION_ID: SUB,
  AZUREML_RESOURCE_GROUP: 'rg',
  AZUREML_WORKSPACE: 'ws',
};
const load = (env: Record<string, string>) => loadConfig({ ...env } as NodeJS.ProcessEnv);

describe('azureml configuration', () => {
  it('should take the API host from the discovery URL, with the default scopes, limits and registry', () => {
    const config = load({ ...base, AZUREML_DISCOVERY_URL: 'https://eastus.api.azureml.ms/discovery' });
    expect(config.service.provider).toBe('azureml');
    expect(config.service.azureml).toEqual({
      subscriptionId: SUB,
      resourceGroup: 'rg',
      workspace: 'ws',
      apiUrl: 'https://eastus.api.azureml.ms',
      armScope: 'https://management.azure.com/.default',
      amlScope: 'https://ml.azure.com/.default',
      requestTimeoutSeconds: 30,
      operationTimeoutMinutes: 30,
      syncSeconds: 60,
    });
    expect(config.service.registry?.url).toBe('https://mcr.microsoft.com');
  });

  it('should prefer AZUREML_API_URL, and take a sovereign cloud authority and scopes', () => {
    const config = load({
      ...base,
      AZUREML_DISCOVERY_URL: 'https://eastus.api.azureml.ms/discovery',
      AZUREML_API_URL: 'https://pl.api.azureml.ms/',
      AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us/',
      AZUREML_ARM_SCOPE: 'https://management.usgovcloudapi.net/.default',
      AZUREML_AML_SCOPE: 'https://ml.azure.us/.default',
      AZUREML_OPERATION_TIMEOUT_MINUTES: '45',
    });
    expect(config.service.azureml).toMatchObject({
      apiUrl: 'https://pl.api.azureml.ms',
      authorityHost: 'https://login.microsoftonline.us',
      armScope: 'https://management.usgovcloudapi.net/.default',
      amlScope: 'https://ml.azure.us/.default',
      operationTimeoutMinutes: 45,
    });
  });

  it('should leave the azureml block out for the local provider', () => {
    expect(load({ AZUREML_WORKSPACE: 'ws' }).service.azureml).toBeUndefined();
  });

  it('should list every azureml problem at once', () => {
    try {
      load({
        RUNTIME_PROVIDER: 'azureml',
        AZUREML_SUBSCRIPTION_ID: 'not-a-guid',
        AZUREML_REQUEST_TIMEOUT_SECONDS: '0',
        AZURE_AUTHORITY_HOST: 'http://login.example.com',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toEqual([
        'AZUREML_SUBSCRIPTION_ID must be a subscription id (a GUID) (got "not-a-guid")',
        'AZUREML_RESOURCE_GROUP is required when RUNTIME_PROVIDER=azureml',
        'AZUREML_WORKSPACE is required when RUNTIME_PROVIDER=azureml',
        'AZUREML_DISCOVERY_URL (az ml workspace show --query discovery_url) or AZUREML_API_URL is required when RUNTIME_PROVIDER=azureml',
        'AZURE_AUTHORITY_HOST must be an https URL (got "http://login.example.com")',
        'AZUREML_REQUEST_TIMEOUT_SECONDS must be a whole number from 1 to 300 (got "0")',
      ]);
    }
  });

  it.each([
    [{ AZUREML_DISCOVERY_URL: 'https://eastus.api.azureml.ms/' }, /AZUREML_DISCOVERY_URL must end in \/discovery/],
    [{ AZUREML_API_URL: 'ftp://x' }, /AZUREML_API_URL must be an https URL/],
  ])('should refuse %j', (env, message) => {
    expect(() => load({ ...base, ...env })).toThrow(message);
  });

  it('should accept http only on loopback (for local fakes)', () => {
    expect(load({ ...base, AZUREML_API_URL: 'http://127.0.0.1:8080' }).service.azureml?.apiUrl).toBe(
      'http://127.0.0.1:8080',
    );
  });
});
