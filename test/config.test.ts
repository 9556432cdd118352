import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, RETIREMENT_DEFAULTS } from '../src/config';

const load = (env: Record<string, string>) => loadConfig({ ...env } as NodeJS.ProcessEnv);

const APP_ID = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
/** What Azure offers for a new bot today: a single-tenant app registration with a secret… */
const SINGLE_TENANT = {
  MicrosoftAppId: APP_ID,
  MicrosoftAppType: 'SingleTenant',
  MicrosoftAppTenantId: TENANT_ID,
  MicrosoftAppPassword: 'secret',
  POLICY_FILE: 'policy.yaml',
};
/** …or a user-assigned managed identity, whose client id is the app id, with no secret at all. */
const MANAGED_IDENTITY = {
  MicrosoftAppId: APP_ID,
  MicrosoftAppType: 'UserAssignedMSI',
  MicrosoftAppTenantId: TENANT_ID,
  POLICY_FILE: 'policy.yaml',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    load(env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
}

describe('configuration', () => {
  it('should start on loopback with the embedded service, the local provider and the Playground by default', () => {
    const config = load({});
    expect(config.bot).toMatchObject({ port: 3978, host: '127.0.0.1', allowedTenantIds: [] });
    expect(config.bot.appId).toBeUndefined();
    expect(config.service).toMatchObject({ port: 3979, host: '127.0.0.1', provider: 'local', demoData: true });
    expect(config).toMatchObject({ embedService: true, serviceUrl: 'http://127.0.0.1:3979', storage: 'file' });
    expect(config.playground.enabled).toBe(true);
  });

  it('should turn authentication on, listen on all interfaces and leave the Playground off with an app id', () => {
    const config = load({ ...SINGLE_TENANT });
    expect(config.bot.host).toBe('0.0.0.0');
    expect(config.playground.enabled).toBe(false);
    expect(config.bot.allowedServiceUrlHosts).not.toContain('localhost');
  });

  it('should use a shared runtime service when RUNTIME_SERVICE_URL is set', () => {
    const config = load({ RUNTIME_SERVICE_URL: 'https://runtimes.example.com/', RUNTIME_SERVICE_TOKEN: 't' });
    expect(config).toMatchObject({ embedService: false, serviceUrl: 'https://runtimes.example.com' });
    expect(config.service.token).toBe('t');
  });

  it.each([
    [{ HOST: '0.0.0.0' }, /without MicrosoftAppId would accept unauthenticated requests/],
    [{ RUNTIME_SERVICE_HOST: '0.0.0.0' }, /without RUNTIME_SERVICE_TOKEN/],
    [{ MicrosoftAppId: 'app' }, /MicrosoftAppPassword is required/],
    [
      { MicrosoftAppId: 'app', MicrosoftAppPassword: 'x', MicrosoftAppType: 'SingleTenant' },
      /MicrosoftAppTenantId is required/,
    ],
    [{ PORT: 'eighty' }, /PORT must be a whole number/],
    [{ RUNTIME_PROVIDER: 'aws' }, /RUNTIME_PROVIDER must be one of local, azureml/],
    [{ DEMO_DATA: 'maybe' }, /DEMO_DATA must be true or false/],
    [{ RUNTIME_SERVICE_URL: 'ftp://x' }, /RUNTIME_SERVICE_URL must be an http\(s\) URL/],
    [{ LOCAL_DURATION_SCALE: '-1' }, /LOCAL_DURATION_SCALE must be a number/],
  ])('should refuse %j with a specific message', (env, message) => {
    expect(() => load(env)).toThrow(message);
  });

  it('should list every problem at once', () => {
    try {
      load({ PORT: 'x', DEMO_DATA: 'maybe', RUNTIME_PROVIDER: 'aws' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toHaveLength(3);
    }
  });

  it('should accept tenant allow-lists and service URL hosts as comma-separated lists', () => {
    const config = load({ ALLOWED_TENANT_IDS: 't1, t2', ALLOWED_SERVICE_URL_HOSTS: 'smba.trafficmanager.net' });
    expect(config.bot.allowedTenantIds).toEqual(['t1', 't2']);
    expect(config.bot.allowedServiceUrlHosts).toEqual(['smba.trafficmanager.net']);
  });

  it('should default notifications to a digest at 08:00 UTC, 15 minutes of idle warning and 30 sends per second', () => {
    expect(load({}).bot.notifications).toEqual({
      digestTime: '08:00',
      idleWarningMinutes: 15,
      globalSendsPerSecond: 30,
    });
    expect(load({ DIGEST_TIME: '7:05' }).bot.notifications.digestTime).toBe('07:05');
    expect(load({ DIGEST_TIME: 'off' }).bot.notifications.digestTime).toBeUndefined();
  });

  it.each([
    [{ DIGEST_TIME: '25:00' }, /DIGEST_TIME must be HH:MM \(24-hour, UTC\) or off \(got "25:00"\)/],
    [{ DIGEST_TIME: 'eight' }, /DIGEST_TIME must be HH:MM/],
    [{ IDLE_WARNING_MINUTES: '0' }, /IDLE_WARNING_MINUTES must be a whole number from 1 to 1440/],
    [{ SEND_RATE_GLOBAL_PER_SECOND: '2.5' }, /SEND_RATE_GLOBAL_PER_SECOND must be a whole number/],
    [{ IMAGE_REGISTRY_URL: 'ftp://registry' }, /IMAGE_REGISTRY_URL must be an http\(s\) URL/],
    [
      { IMAGE_REGISTRY_URL: 'http://127.0.0.1:5000', IMAGE_REGISTRY_REPOSITORY: 'Bad Repo' },
      /IMAGE_REGISTRY_REPOSITORY must be a repository name/,
    ],
    [{ IMAGE_REGISTRY_POLL_SECONDS: '1' }, /IMAGE_REGISTRY_POLL_SECONDS must be a whole number from 5/],
  ])('should refuse the notification or registry setting %j with a specific message', (env, message) => {
    expect(() => load(env)).toThrow(message);
  });

  it('should cap event streams at 500 per process and 20 per client unless told otherwise', () => {
    expect(load({}).service.eventStreams).toEqual({ total: 500, perClient: 20 });
    expect(load({ EVENT_STREAMS_MAX: '50', EVENT_STREAMS_PER_CLIENT: '5' }).service.eventStreams).toEqual({
      total: 50,
      perClient: 5,
    });
    expect(() => load({ EVENT_STREAMS_MAX: '0' })).toThrow(/EVENT_STREAMS_MAX must be a whole number from 1 to 100000/);
    expect(() => load({ EVENT_STREAMS_PER_CLIENT: 'many' })).toThrow(/EVENT_STREAMS_PER_CLIENT must be a whole number/);
  });

  it('should leave the operation lease to the provider unless OPERATION_LEASE_SECONDS is set', () => {
    expect(load({}).service).not.toHaveProperty('operationLeaseSeconds');
    expect(load({ OPERATION_LEASE_SECONDS: '5' }).service.operationLeaseSeconds).toBe(5);
    expect(() => load({ OPERATION_LEASE_SECONDS: '1' })).toThrow(
      /OPERATION_LEASE_SECONDS must be a whole number from 2 to 3600 \(got "1"\)/,
    );
    expect(() => load({ OPERATION_LEASE_SECONDS: '30s' })).toThrow(/OPERATION_LEASE_SECONDS must be a whole number/);
  });

  it('should watch a registry only when configured in local mode', () => {
    expect(load({}).service.registry).toBeUndefined();
    const config = load({ IMAGE_REGISTRY_URL: 'http://127.0.0.1:5000/', IMAGE_REGISTRY_POLL_SECONDS: '60' });
    expect(config.service.registry).toEqual({
      url: 'http://127.0.0.1:5000',
      repository: 'azureml/promptflow/promptflow-runtime-stable',
      pollSeconds: 60,
    });
    expect(load({ IMAGE_REGISTRY_URL: 'none' }).service.registry).toBeUndefined();
  });

  it("should default the retirement calendar to Microsoft's announcement and take moved dates", () => {
    expect(load({}).bot.retirement).toEqual({
      retiresOn: '2027-04-20',
      featureFreezeOn: '2026-04-20',
      lastImage: '20251211.v2',
    });
    expect(load({}).bot.retirement).toEqual(RETIREMENT_DEFAULTS);
    const moved = load({
      PROMPTFLOW_RETIREMENT_DATE: '2027-10-20',
      PROMPTFLOW_FEATURE_FREEZE_DATE: '2026-05-01',
      PROMPTFLOW_LAST_IMAGE: '20260301.v1',
    });
    expect(moved.bot.retirement).toEqual({
      retiresOn: '2027-10-20',
      featureFreezeOn: '2026-05-01',
      lastImage: '20260301.v1',
    });
  });

  it.each([
    [
      { PROMPTFLOW_RETIREMENT_DATE: '20 April 2027' },
      /PROMPTFLOW_RETIREMENT_DATE must be a date as YYYY-MM-DD \(got "20 April 2027"\)/,
    ],
    [{ PROMPTFLOW_RETIREMENT_DATE: '2027-02-30' }, /PROMPTFLOW_RETIREMENT_DATE must be a date as YYYY-MM-DD/],
    [{ PROMPTFLOW_RETIREMENT_DATE: '2027-04-20T00:00:00Z' }, /PROMPTFLOW_RETIREMENT_DATE must be a date/],
    [{ PROMPTFLOW_FEATURE_FREEZE_DATE: '2026-13-01' }, /PROMPTFLOW_FEATURE_FREEZE_DATE must be a date/],
    [
      { PROMPTFLOW_FEATURE_FREEZE_DATE: '2027-04-20' },
      /PROMPTFLOW_FEATURE_FREEZE_DATE \(2027-04-20\) must be before PROMPTFLOW_RETIREMENT_DATE \(2027-04-20\)/,
    ],
    [{ PROMPTFLOW_RETIREMENT_DATE: '2026-01-01' }, /must be before PROMPTFLOW_RETIREMENT_DATE \(2026-01-01\)/],
    [
      { PROMPTFLOW_LAST_IMAGE: 'latest' },
      /PROMPTFLOW_LAST_IMAGE must be an image tag like 20251211.v2 \(got "latest"\)/,
    ],
  ])('should refuse the retirement setting %j with a specific message', (env, message) => {
    expect(() => load(env)).toThrow(message);
  });
});

describe('storage configuration', () => {
  const KEY = Buffer.alloc(32, 7).toString('base64');
  const AZURITE =
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=c2VjcmV0LWtleS1kby1ub3QtcHJpbnQ=;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;';

  it('should keep files in DATA_DIR by default', () => {
    const config = load({ DATA_DIR: '/srv/bot-data' });
    expect(config).toMatchObject({ storage: 'file', dataDir: '/srv/bot-data' });
    expect(config.blob).toBeUndefined();
  });

  it('should take STORAGE=blob with a connection string, in the default container', () => {
    const config = load({ STORAGE: 'blob', AZURE_STORAGE_CONNECTION_STRING: AZURITE, SECRETS_KEY: KEY });
    expect(config.storage).toBe('blob');
    expect(config.blob).toEqual({ connectionString: AZURITE, container: 'promptflow-runtime-bot' });
  });

  it('should take STORAGE=blob with an account URL for a managed identity, and a container of its own', () => {
    const config = load({
      STORAGE: 'Blob',
      AZURE_STORAGE_ACCOUNT_URL: 'https://contoso.blob.core.windows.net/',
      AZURE_STORAGE_CONTAINER: 'bot-state',
      SECRETS_KEY: KEY,
    });
    expect(config.blob).toEqual({ accountUrl: 'https://contoso.blob.core.windows.net', container: 'bot-state' });
  });

  it('should sign Blob storage and Azure ML in as the managed identity AZURE_CLIENT_ID names', () => {
    const id = '3F2504E0-4F89-41D3-9A0C-0305E82C3301';
    const config = load({
      STORAGE: 'blob',
      AZURE_STORAGE_ACCOUNT_URL: 'https://contoso.blob.core.windows.net',
      SECRETS_KEY: KEY,
      AZURE_CLIENT_ID: id,
      RUNTIME_PROVIDER: 'azureml',
      AZUREML_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000001',
      AZUREML_RESOURCE_GROUP: 'rg',
      AZUREML_WORKSPACE: 'ws',
      AZUREML_API_URL: 'https://eastus.api.azureml.ms',
    });
    expect(config.blob?.managedIdentityClientId).toBe(id.toLowerCase());
    expect(config.service.azureml?.managedIdentityClientId).toBe(id.toLowerCase());
  });

  it('should refuse an AZURE_CLIENT_ID that is not a client id', () => {
    expect(() => load({ AZURE_CLIENT_ID: 'my-identity' })).toThrow(/AZURE_CLIENT_ID must be the client id \(a GUID\)/);
  });

  it.each([
    [{}, /needs exactly one of AZURE_STORAGE_CONNECTION_STRING and AZURE_STORAGE_ACCOUNT_URL/],
    [
      { AZURE_STORAGE_CONNECTION_STRING: AZURITE, AZURE_STORAGE_ACCOUNT_URL: 'https://a.blob.core.windows.net' },
      /needs exactly one of/,
    ],
    [
      { AZURE_STORAGE_CONNECTION_STRING: 'AccountKey=only' },
      /lacks AccountName, DefaultEndpointsProtocol, EndpointSuffix/,
    ],
    [
      { AZURE_STORAGE_CONNECTION_STRING: 'BlobEndpoint=http://x;SharedAccessSignature=' },
      /lacks AccountName, AccountKey/,
    ],
    [{ AZURE_STORAGE_CONNECTION_STRING: 'AccountName=a;SharedAccessSignature=sv=1' }, /needs a BlobEndpoint/],
    [{ AZURE_STORAGE_ACCOUNT_URL: 'http://contoso.blob.core.windows.net' }, /must be an https URL/],
    [{ AZURE_STORAGE_ACCOUNT_URL: 'not a url' }, /must be an https URL/],
    [{ AZURE_STORAGE_ACCOUNT_URL: 'https://a.blob.core.windows.net/?sv=2024&sig=abc' }, /must not carry credentials/],
    [
      { AZURE_STORAGE_CONNECTION_STRING: AZURITE, AZURE_STORAGE_CONTAINER: 'Bot_State' },
      /AZURE_STORAGE_CONTAINER must be 3 to 63 lower-case letters/,
    ],
    [{ AZURE_STORAGE_CONNECTION_STRING: AZURITE, AZURE_STORAGE_CONTAINER: 'ab' }, /AZURE_STORAGE_CONTAINER must be/],
  ])('should refuse STORAGE=blob with %j, saying what is wrong', (env, message) => {
    expect(() => load({ STORAGE: 'blob', SECRETS_KEY: KEY, ...env })).toThrow(message);
  });

  it('should never quote a connection string back, even a wrong one', () => {
    const secret = 'AccountName=contoso;AccountKey=;SharedAccessSignature=;TopSecretValue=hunter2';
    const error = (() => {
      try {
        load({ STORAGE: 'blob', AZURE_STORAGE_CONNECTION_STRING: secret });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).not.toContain('hunter2');
  });

  it('should refuse STORAGE=blob for the bot without SECRETS_KEY, and say why', () => {
    expect(() => load({ STORAGE: 'blob', AZURE_STORAGE_CONNECTION_STRING: AZURITE })).toThrow(
      /SECRETS_KEY is required with STORAGE=blob: without it each replica would make its own key file, and none could open the approval requests another one sealed/,
    );
    expect(() => load({ STORAGE: 'file' })).not.toThrow();
  });

  it('should start the runtime service alone on blob without SECRETS_KEY: it seals nothing', () => {
    const env = { STORAGE: 'blob', AZURE_STORAGE_CONNECTION_STRING: AZURITE } as NodeJS.ProcessEnv;
    expect(loadConfig(env, 'service').storage).toBe('blob');
  });
});

describe("the bot's identity", () => {
  it.each([
    [
      'SingleTenant with its tenant and secret',
      SINGLE_TENANT,
      { appType: 'SingleTenant', appTenantId: TENANT_ID, appPassword: 'secret' },
    ],
    [
      'UserAssignedMSI with its tenant and no secret',
      MANAGED_IDENTITY,
      { appType: 'UserAssignedMSI', appTenantId: TENANT_ID },
    ],
    [
      'MultiTenant, for registrations made before 2025-07-31',
      { MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'secret', POLICY_FILE: 'none' },
      { appType: 'MultiTenant', appPassword: 'secret' },
    ],
    [
      'a type in any case',
      { ...MANAGED_IDENTITY, MicrosoftAppType: 'userassignedmsi' },
      { appType: 'UserAssignedMSI' },
    ],
  ])('should accept %s', (_what, env: Record<string, string>, bot) => {
    const config = load(env);
    expect(config.bot).toMatchObject({ appId: APP_ID, ...bot });
    if (!env.MicrosoftAppPassword) expect(config.bot.appPassword).toBeUndefined();
  });

  it.each([
    [
      'UserAssignedMSI with a secret',
      { ...MANAGED_IDENTITY, MicrosoftAppPassword: 'x' },
      'MicrosoftAppPassword must not be set for UserAssignedMSI: a managed identity has no secret',
    ],
    [
      'UserAssignedMSI without its tenant',
      { ...MANAGED_IDENTITY, MicrosoftAppTenantId: '' },
      "MicrosoftAppTenantId is required for UserAssignedMSI (the identity's tenant)",
    ],
    [
      'SingleTenant without its tenant',
      { ...SINGLE_TENANT, MicrosoftAppTenantId: '' },
      'MicrosoftAppTenantId is required for a SingleTenant bot',
    ],
    [
      'SingleTenant without a secret',
      { ...SINGLE_TENANT, MicrosoftAppPassword: '' },
      'MicrosoftAppPassword is required when MicrosoftAppId is set (MicrosoftAppType=SingleTenant); a bot with a managed identity sets MicrosoftAppType=UserAssignedMSI instead',
    ],
    [
      'a tenant without a type',
      { ...SINGLE_TENANT, MicrosoftAppType: '' },
      'MicrosoftAppTenantId is only used by SingleTenant and UserAssignedMSI bots: set MicrosoftAppType to the type of the Azure Bot',
    ],
    [
      'an unknown type',
      { ...SINGLE_TENANT, MicrosoftAppType: 'Federated' },
      'MicrosoftAppType must be one of SingleTenant, UserAssignedMSI, MultiTenant (got "Federated")',
    ],
    [
      'an app id that is not a GUID',
      { ...SINGLE_TENANT, MicrosoftAppId: 'my-bot' },
      'MicrosoftAppId must be the Azure Bot\'s app id, a GUID (got "my-bot")',
    ],
    [
      'a tenant id that is not a GUID',
      { ...SINGLE_TENANT, MicrosoftAppTenantId: 'contoso.onmicrosoft.com' },
      'MicrosoftAppTenantId must be a tenant id, a GUID (got "contoso.onmicrosoft.com")',
    ],
    [
      'a secret without an app id (a typo in its name turns authentication off)',
      { MicrosoftAppPassword: 'x', MicrosoftAppID: APP_ID },
      'MicrosoftAppPassword is set but MicrosoftAppId is not; set MicrosoftAppId to turn authentication on',
    ],
  ])('should refuse %s with what to set', (_what, env, problem) => {
    expect(problemsOf(env)).toEqual([problem]);
  });
});

describe('the approval policy with authentication on', () => {
  // Fail closed: a production bot without a policy would let every user change every runtime.
  it('should refuse to start with an app id and no POLICY_FILE, saying how to configure one', () => {
    expect(problemsOf({ ...SINGLE_TENANT, POLICY_FILE: '' })).toEqual([
      'POLICY_FILE is required when MicrosoftAppId is set: name a policy file that says who may change runtimes (see policy.example.yaml), or set POLICY_FILE=none to let every user of an allowed tenant change them without approvals',
    ]);
  });

  it('should take POLICY_FILE=none as the choice to run without approvals', () => {
    expect(load({ ...SINGLE_TENANT, POLICY_FILE: 'none' }).bot.policyFile).toBeUndefined();
  });

  it('should keep the demo policy for local mode without an app id', () => {
    expect(load({}).bot.policyFile).toMatch(/playground\/policy\.yaml$/);
  });
});

describe('Bot Framework endpoints of a sovereign cloud', () => {
  const CLOUD = {
    ToBotFromChannelOpenIdMetadataUrl: 'https://login.botframework.azure.us/v1/.well-known/openidconfiguration',
    ToBotFromEmulatorOpenIdMetadataUrl:
      'https://login.microsoftonline.us/cab8a31a-1906-4287-a0d8-4eef66b95f6e/v2.0/.well-known/openid-configuration',
    ToBotFromChannelTokenIssuer: 'https://api.botframework.us',
    ToChannelFromBotLoginUrl: 'https://login.microsoftonline.us/MicrosoftServices.onmicrosoft.us',
    ToChannelFromBotOAuthScope: 'https://api.botframework.us',
    OAuthUrl: 'https://tokengcch.botframework.azure.us/',
    CallerId: 'urn:botframework:azureusgov',
  };

  it('should take all of them, with ValidateAuthority on by default', () => {
    expect(load({ ...SINGLE_TENANT, ...CLOUD }).bot.botFramework).toEqual({ ...CLOUD, ValidateAuthority: true });
    expect(load({ ...SINGLE_TENANT, ...CLOUD, ValidateAuthority: 'false' }).bot.botFramework?.ValidateAuthority).toBe(
      false,
    );
  });

  it('should use the public cloud when none is set', () => {
    expect(load(SINGLE_TENANT).bot.botFramework).toBeUndefined();
  });

  it('should refuse some of them, naming the others: botbuilder would fill in no defaults', () => {
    const { ToBotFromChannelOpenIdMetadataUrl, ToBotFromChannelTokenIssuer } = CLOUD;
    expect(problemsOf({ ...SINGLE_TENANT, ToBotFromChannelOpenIdMetadataUrl, ToBotFromChannelTokenIssuer })).toEqual([
      'ToBotFromChannelOpenIdMetadataUrl is set, so botbuilder takes every Bot Framework endpoint from the settings: set ToBotFromEmulatorOpenIdMetadataUrl, ToChannelFromBotLoginUrl, OAuthUrl, ToChannelFromBotOAuthScope, CallerId too (or none of them for the public cloud)',
    ]);
  });

  it('should refuse an endpoint that is not https', () => {
    expect(problemsOf({ ...SINGLE_TENANT, ...CLOUD, OAuthUrl: 'http://token.example.com' })).toEqual([
      'OAuthUrl must be an https URL (got "http://token.example.com")',
    ]);
  });
});
