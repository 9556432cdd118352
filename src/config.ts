/**
 * All configuration, parsed and validated once from the environment (and `.env`). Nothing else in
 * the code reads process.env. A bad setting stops start-up with every problem listed at once.
 */
import path from 'node:path';
import type { LogLevel } from './logger';

export interface BotConfig {
  port: number;
  host: string;
  /** The Azure Bot's app id (for UserAssignedMSI, the managed identity's client id); none turns authentication off. */
  appId?: string;
  appPassword?: string;
  appType: BotAppType;
  appTenantId?: string;
  /** Where the Bot Framework is, for sovereign and private clouds; absent: the public cloud. */
  botFramework?: BotFrameworkEndpoints;
  allowedTenantIds: string[];
  /** Hosts that stored conversation references may point at (proactive sends carry our token). */
  allowedServiceUrlHosts: string[];
  policyFile?: string;
  /** Seals approval requests at rest (base64, 32 bytes); default: a key file in the data folder. */
  secretsKey?: string;
  notifications: NotificationConfig;
  retirement: RetirementConfig;
}

/** The identity types Azure Bot offers; MultiTenant only for bots created before 2025-07-31. */
export const BOT_APP_TYPES = ['SingleTenant', 'UserAssignedMSI', 'MultiTenant'] as const;
export type BotAppType = (typeof BOT_APP_TYPES)[number];

/**
 * botbuilder's settings for where the Bot Framework lives (its names). As soon as one is set, botbuilder
 * fills in no defaults for the others, so they come all together or not at all.
 */
export interface BotFrameworkEndpoints {
  ToBotFromChannelOpenIdMetadataUrl: string;
  ToBotFromEmulatorOpenIdMetadataUrl: string;
  ToBotFromChannelTokenIssuer: string;
  ToChannelFromBotLoginUrl: string;
  ToChannelFromBotOAuthScope: string;
  OAuthUrl: string;
  CallerId: string;
  ValidateAuthority: boolean;
}

/**
 * Prompt flow's end of life in Azure Machine Learning and Foundry, as Microsoft announced it. Settings,
 * so the bot stays right if Microsoft moves a date. Days are calendar days in UTC (YYYY-MM-DD).
 */
export interface RetirementConfig {
  /** Prompt flow goes read-only; its runtimes, images and studio pages go away. */
  retiresOn: string;
  /** Feature development stopped; the runtime images get no more updates. */
  featureFreezeOn: string;
  /** The last runtime image tag published. */
  lastImage: string;
}

/** The announced calendar (Microsoft Learn, "Migrate from prompt flow to Microsoft Agent Framework"). */
export const RETIREMENT_DEFAULTS: RetirementConfig = Object.freeze({
  retiresOn: '2027-04-20',
  featureFreezeOn: '2026-04-20',
  lastImage: '20251211.v2',
});

export interface NotificationConfig {
  /** Daily on-call digest time, HH:MM in UTC; undefined turns the digest off. */
  digestTime?: string;
  /** How long before an idle shutdown subscribers are warned. */
  idleWarningMinutes: number;
  /** Sends per second across all conversations (Teams allows roughly 30-50 per app and tenant). */
  globalSendsPerSecond: number;
  /** The calendar of the retirement notices and of the digest's retirement line; none without it. */
  retirement?: RetirementConfig;
}

/** An OCI distribution registry that the image watcher polls for new base-image tags. */
export interface RegistryConfig {
  /** Base URL, e.g. https://mcr.microsoft.com */
  url: string;
  /** Repository inside the registry, e.g. azureml/promptflow/promptflow-runtime-stable */
  repository: string;
  pollSeconds: number;
}

/** Open `GET /v1/events` streams: at most this many per process, and per client (token, else address). */
export const EVENT_STREAM_DEFAULTS = { total: 500, perClient: 20 } as const;

export interface ServiceConfig {
  port: number;
  host: string;
  token?: string;
  provider: 'local' | 'azureml';
  demoData: boolean;
  durationScale: number;
  catalogueFile: string;
  workspaceFile: string;
  maxBodyBytes: number;
  /** Caps on open `GET /v1/events` streams; absent: EVENT_STREAM_DEFAULTS. */
  eventStreams?: { total: number; perClient: number };
  /**
   * How long a replica holds an operation while it runs one step; a replica that died mid-step is
   * replaced once it lapses. Absent: the provider's default (30 s local, 10 minutes azureml).
   */
  operationLeaseSeconds?: number;
  /** Where new image versions come from; absent: only the catalogue and `publish-version`. */
  registry?: RegistryConfig;
  /** The Azure ML workspace whose prompt flow runtimes the `azureml` provider manages. */
  azureml?: AzureMlConfig;
}

/** RUNTIME_PROVIDER=azureml: the workspace, the prompt flow API host, token scopes and time limits. */
export interface AzureMlConfig {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  /** The regional API host, e.g. https://eastus.api.azureml.ms (no trailing slash). */
  apiUrl: string;
  /** Entra authority for DefaultAzureCredential, e.g. https://login.microsoftonline.us; absent: public cloud. */
  authorityHost?: string;
  /** AZURE_CLIENT_ID: the user-assigned managed identity DefaultAzureCredential signs in as. */
  managedIdentityClientId?: string;
  /** Scope of the bearer token on every call (an ARM token). */
  armScope: string;
  /** Scope of the `aml-user-token` header on session calls. */
  amlScope: string;
  requestTimeoutSeconds: number;
  /** A create, install, reset… that has not finished after this long fails with a clear message. */
  operationTimeoutMinutes: number;
  /** How often runtimes created or changed outside the bot are mirrored into the service. */
  syncSeconds: number;
}

/** STORAGE=blob: one container shared by every replica; the bot and the service keep apart by name. */
export interface BlobStorageConfig {
  /** Exactly one of the two: a connection string (keys or SAS, Azurite), or the account's URL. */
  connectionString?: string;
  /** https://<account>.blob.core.windows.net, signed in with DefaultAzureCredential (managed identity). */
  accountUrl?: string;
  /** AZURE_CLIENT_ID: the user-assigned managed identity to sign in as, with accountUrl. */
  managedIdentityClientId?: string;
  container: string;
}

/** Traces and metrics (src/telemetry): off unless an exporter is configured. */
export interface TelemetryConfig {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: an OTLP/HTTP receiver such as a Collector, e.g. http://collector:4318 */
  otlpEndpoint?: string;
  /** APPLICATIONINSIGHTS_CONNECTION_STRING: Azure Monitor (Application Insights). A secret: never logged. */
  azureMonitorConnectionString?: string;
}

export interface Config {
  bot: BotConfig;
  service: ServiceConfig;
  /** Where the bot reaches the runtime service; the embedded one unless RUNTIME_SERVICE_URL is set. */
  serviceUrl: string;
  embedService: boolean;
  dataDir: string;
  /** file: one host (DATA_DIR); memory: nothing kept; blob: replicas on any number of hosts. */
  storage: 'file' | 'memory' | 'blob';
  /** Present when storage is blob. */
  blob?: BlobStorageConfig;
  logLevel: LogLevel;
  playground: { enabled: boolean; port: number };
  telemetry: TelemetryConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n- ${problems.join('\n- ')}`);
    this.name = 'ConfigError';
  }
}

const ROOT = path.resolve(__dirname, '..');

/** Which program reads the configuration: the runtime service alone needs no sealing key. */
export type ConfigFor = 'bot' | 'service';

export function loadConfig(env: NodeJS.ProcessEnv = process.env, app: ConfigFor = 'bot'): Config {
  const problems: string[] = [];
  const str = (name: string) => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
    return n;
  };
  const num = (name: string, fallback: number, min: number, max: number) => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max)
      problems.push(`${name} must be a number from ${min} to ${max} (got "${raw}")`);
    return n;
  };
  const bool = (name: string, fallback: boolean) => {
    const raw = str(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };
  const oneOf = <T extends string>(name: string, values: readonly T[], fallback: T): T => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const found = values.find((v) => v.toLowerCase() === raw.toLowerCase());
    if (!found) problems.push(`${name} must be one of ${values.join(', ')} (got "${raw}")`);
    return found ?? fallback;
  };
  const list = (name: string) =>
    (str(name) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);

  const { appId, appPassword, appType, appTenantId, botFramework } = botIdentity(str, bool, problems);
  const botHost = str('HOST') ?? (appId ? '0.0.0.0' : '127.0.0.1');
  if (!appId && !isLoopback(botHost)) {
    problems.push(
      `HOST=${botHost} without MicrosoftAppId would accept unauthenticated requests from the network; set MicrosoftAppId or bind to 127.0.0.1`,
    );
  }

  const servicePort = int('RUNTIME_SERVICE_PORT', 3979, 1, 65535);
  const serviceUrl = str('RUNTIME_SERVICE_URL');
  if (serviceUrl && !/^https?:\/\/[^\s/]+/i.test(serviceUrl))
    problems.push(`RUNTIME_SERVICE_URL must be an http(s) URL (got "${serviceUrl}")`);
  const serviceToken = str('RUNTIME_SERVICE_TOKEN');
  const serviceHost = str('RUNTIME_SERVICE_HOST') ?? '127.0.0.1';
  if (!serviceToken && !isLoopback(serviceHost)) {
    problems.push(
      `RUNTIME_SERVICE_HOST=${serviceHost} without RUNTIME_SERVICE_TOKEN would expose the service unauthenticated; set a token`,
    );
  }
  const provider = oneOf('RUNTIME_PROVIDER', ['local', 'azureml'] as const, 'local');
  /** In azureml mode the public Microsoft registry by default; in local mode only when configured. */
  const registry = (): { registry?: RegistryConfig } => {
    const url = str('IMAGE_REGISTRY_URL') ?? (provider === 'azureml' ? 'https://mcr.microsoft.com' : undefined);
    const pollSeconds = int('IMAGE_REGISTRY_POLL_SECONDS', 300, 5, 24 * 3600);
    if (!url || url.toLowerCase() === 'none') return {};
    if (!/^https?:\/\/[^\s/]+/i.test(url)) {
      problems.push(`IMAGE_REGISTRY_URL must be an http(s) URL (got "${url}")`);
      return {};
    }
    const repository = (str('IMAGE_REGISTRY_REPOSITORY') ?? 'azureml/promptflow/promptflow-runtime-stable').replace(
      /^\/+|\/+$/g,
      '',
    );
    if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repository))
      problems.push(
        `IMAGE_REGISTRY_REPOSITORY must be a repository name like azureml/promptflow/promptflow-runtime-stable (got "${repository}")`,
      );
    return { registry: { url: url.replace(/\/+$/, ''), repository, pollSeconds } };
  };
  /** RUNTIME_PROVIDER=azureml needs the workspace and where its API is; every problem is listed. */
  // AZURE_CLIENT_ID: which user-assigned managed identity DefaultAzureCredential signs in as (Blob
  // storage and Azure ML); a host with several identities needs it, and it must be a client id.
  const clientId = str('AZURE_CLIENT_ID');
  if (clientId && !GUID.test(clientId))
    problems.push(
      `AZURE_CLIENT_ID must be the client id (a GUID) of a managed identity or app (got "${clientId.slice(0, 80)}")`,
    );
  const identity = clientId && GUID.test(clientId) ? { managedIdentityClientId: clientId.toLowerCase() } : {};
  const azureml = (): { azureml?: AzureMlConfig } => {
    if (provider !== 'azureml') return {};
    const required = (name: string) => {
      const v = str(name);
      if (!v) problems.push(`${name} is required when RUNTIME_PROVIDER=azureml`);
      return v ?? '';
    };
    const subscriptionId = required('AZUREML_SUBSCRIPTION_ID');
    if (subscriptionId && !/^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(subscriptionId))
      problems.push(`AZUREML_SUBSCRIPTION_ID must be a subscription id (a GUID) (got "${subscriptionId}")`);
    const resourceGroup = required('AZUREML_RESOURCE_GROUP');
    const workspace = required('AZUREML_WORKSPACE');
    const httpsUrl = (name: string) => {
      const raw = str(name);
      if (raw === undefined) return undefined;
      const parsed = URL.canParse(raw) ? new URL(raw) : undefined;
      if (!parsed || !(parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopback(parsed.hostname)))) {
        problems.push(`${name} must be an https URL (got "${raw}")`);
        return undefined;
      }
      return parsed;
    };
    if (!str('AZUREML_API_URL') && !str('AZUREML_DISCOVERY_URL'))
      problems.push(
        'AZUREML_DISCOVERY_URL (az ml workspace show --query discovery_url) or AZUREML_API_URL is required when RUNTIME_PROVIDER=azureml',
      );
    const discovery = httpsUrl('AZUREML_DISCOVERY_URL');
    let apiUrl = httpsUrl('AZUREML_API_URL')?.href;
    if (!apiUrl && discovery) {
      // As the Azure ML SDK does: the API host is the discovery URL cut at "discovery".
      const at = discovery.href.toLowerCase().lastIndexOf('/discovery');
      if (at > 0) apiUrl = discovery.href.slice(0, at);
      else problems.push(`AZUREML_DISCOVERY_URL must end in /discovery (got "${discovery.href}")`);
    }
    const authorityHost = httpsUrl('AZURE_AUTHORITY_HOST');
    return {
      azureml: {
        subscriptionId,
        resourceGroup,
        workspace,
        apiUrl: (apiUrl ?? '').replace(/\/+$/, ''),
        ...(authorityHost ? { authorityHost: authorityHost.href.replace(/\/+$/, '') } : {}),
        ...identity,
        armScope: str('AZUREML_ARM_SCOPE') ?? 'https://management.azure.com/.default',
        amlScope: str('AZUREML_AML_SCOPE') ?? 'https://ml.azure.com/.default',
        requestTimeoutSeconds: int('AZUREML_REQUEST_TIMEOUT_SECONDS', 30, 1, 300),
        operationTimeoutMinutes: int('AZUREML_OPERATION_TIMEOUT_MINUTES', 30, 1, 24 * 60),
        syncSeconds: int('AZUREML_SYNC_SECONDS', 60, 5, 24 * 3600),
      },
    };
  };
  // Relative to the working folder (npm scripts run in the package root), never inside dist/, which a build replaces.
  const dataDir = path.resolve(str('DATA_DIR') ?? 'data');
  const storage = oneOf('STORAGE', ['file', 'memory', 'blob'] as const, 'file');
  /** STORAGE=blob: where the container is and how to sign in; every problem is listed. */
  const blob = (): { blob?: BlobStorageConfig } => {
    if (storage !== 'blob') return {};
    const connectionString = str('AZURE_STORAGE_CONNECTION_STRING');
    const rawUrl = str('AZURE_STORAGE_ACCOUNT_URL');
    if (!connectionString === !rawUrl)
      problems.push(
        'STORAGE=blob needs exactly one of AZURE_STORAGE_CONNECTION_STRING and AZURE_STORAGE_ACCOUNT_URL (with a managed identity)',
      );
    // Never quote a connection string back: it holds the account key.
    const lacking = connectionString && connectionStringProblem(connectionString);
    if (lacking)
      problems.push(
        `AZURE_STORAGE_CONNECTION_STRING is not a storage connection string the Azure SDK can use: ${lacking} (copy it from the portal's Access keys, or use UseDevelopmentStorage=true for Azurite)`,
      );
    const parsed = rawUrl && URL.canParse(rawUrl) ? new URL(rawUrl) : undefined;
    if (rawUrl && !(parsed?.protocol === 'https:' || (parsed?.protocol === 'http:' && isLoopback(parsed.hostname))))
      problems.push(`AZURE_STORAGE_ACCOUNT_URL must be an https URL like https://<account>.blob.core.windows.net`);
    else if (parsed && (parsed.search || parsed.username || parsed.password))
      problems.push(
        'AZURE_STORAGE_ACCOUNT_URL must not carry credentials; it signs in with DefaultAzureCredential (use AZURE_STORAGE_CONNECTION_STRING for a SAS)',
      );
    const container = str('AZURE_STORAGE_CONTAINER') ?? 'promptflow-runtime-bot';
    if (!/^(?=.{3,63}$)[a-z0-9]+(?:-[a-z0-9]+)*$/.test(container))
      problems.push(
        `AZURE_STORAGE_CONTAINER must be 3 to 63 lower-case letters, digits and single hyphens (got "${container.slice(0, 80)}")`,
      );
    return {
      blob: {
        ...(connectionString ? { connectionString } : {}),
        ...(parsed && !connectionString ? { accountUrl: parsed.href.replace(/\/+$/, ''), ...identity } : {}),
        container,
      },
    };
  };

  const config: Config = {
    bot: {
      port: int('PORT', 3978, 1, 65535),
      host: botHost,
      ...(appId ? { appId } : {}),
      ...(appPassword ? { appPassword } : {}),
      appType,
      ...(appTenantId ? { appTenantId } : {}),
      ...(botFramework ? { botFramework } : {}),
      allowedTenantIds: list('ALLOWED_TENANT_IDS'),
      allowedServiceUrlHosts: list('ALLOWED_SERVICE_URL_HOSTS').length
        ? list('ALLOWED_SERVICE_URL_HOSTS')
        : ['smba.trafficmanager.net', '*.botframework.com', ...(appId ? [] : ['localhost', '127.0.0.1'])],
      ...policyFile(str('POLICY_FILE'), app === 'bot' ? appId : undefined, bool('PLAYGROUND', !appId), problems),
      ...(str('SECRETS_KEY') ? { secretsKey: str('SECRETS_KEY')! } : {}),
      notifications: {
        ...digestTime(str('DIGEST_TIME') ?? '08:00', problems),
        idleWarningMinutes: int('IDLE_WARNING_MINUTES', 15, 1, 24 * 60),
        globalSendsPerSecond: int('SEND_RATE_GLOBAL_PER_SECOND', 30, 1, 1000),
      },
      retirement: retirement(str, problems),
    },
    service: {
      port: servicePort,
      host: serviceHost,
      ...(serviceToken ? { token: serviceToken } : {}),
      provider,
      demoData: bool('DEMO_DATA', true),
      durationScale: num('LOCAL_DURATION_SCALE', 1, 0, 100),
      catalogueFile: path.resolve(
        str('IMAGE_CATALOGUE_FILE') ?? path.join(ROOT, 'catalogue/promptflow-runtime-stable.json'),
      ),
      workspaceFile: path.resolve(str('LOCAL_WORKSPACE_FILE') ?? path.join(ROOT, 'catalogue/local-workspace.json')),
      maxBodyBytes: int('RUNTIME_SERVICE_MAX_BODY_BYTES', 256 * 1024, 1024, 10 * 1024 * 1024),
      eventStreams: {
        total: int('EVENT_STREAMS_MAX', EVENT_STREAM_DEFAULTS.total, 1, 100_000),
        perClient: int('EVENT_STREAMS_PER_CLIENT', EVENT_STREAM_DEFAULTS.perClient, 1, 100_000),
      },
      ...(str('OPERATION_LEASE_SECONDS') ? { operationLeaseSeconds: int('OPERATION_LEASE_SECONDS', 30, 2, 3600) } : {}),
      ...registry(),
      ...azureml(),
    },
    serviceUrl: (serviceUrl ?? `http://127.0.0.1:${servicePort}`).replace(/\/+$/, ''),
    embedService: !serviceUrl,
    dataDir,
    storage,
    ...blob(),
    logLevel: oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const, 'info'),
    playground: { enabled: bool('PLAYGROUND', !appId), port: int('PLAYGROUND_PORT', 56150, 1, 65535) },
    telemetry: telemetry(str, bool('OTEL_SDK_DISABLED', false), problems),
  };
  if (config.bot.secretsKey && Buffer.from(config.bot.secretsKey, 'base64').length !== 32) {
    problems.push('SECRETS_KEY must be 32 bytes, base64-encoded (openssl rand -base64 32)');
  }
  if (app === 'bot' && storage === 'blob' && !config.bot.secretsKey) {
    problems.push(
      'SECRETS_KEY is required with STORAGE=blob: without it each replica would make its own key file, and none could open the approval requests another one sealed (openssl rand -base64 32, the same on every replica)',
    );
  }
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze(config);
}

/**
 * OTEL_EXPORTER_OTLP_ENDPOINT and APPLICATIONINSIGHTS_CONNECTION_STRING; OTEL_SDK_DISABLED=true turns
 * both off. A bad connection string is reported without its text: it holds the instrumentation key.
 */
function telemetry(str: (name: string) => string | undefined, disabled: boolean, problems: string[]): TelemetryConfig {
  const endpoint = str('OTEL_EXPORTER_OTLP_ENDPOINT');
  const connection = str('APPLICATIONINSIGHTS_CONNECTION_STRING');
  const out: TelemetryConfig = {};
  if (endpoint) {
    const url = URL.canParse(endpoint) ? new URL(endpoint) : undefined;
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.search || url.hash)
      problems.push(
        `OTEL_EXPORTER_OTLP_ENDPOINT must be the base http(s) URL of an OTLP/HTTP receiver, like http://collector:4318 (got "${endpoint.slice(0, 200)}")`,
      );
    else out.otlpEndpoint = url.href.replace(/\/+$/, '');
  }
  if (connection) {
    if (!/(?:^|;)\s*InstrumentationKey\s*=\s*[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}\s*(?:;|$)/i.test(connection))
      problems.push(
        'APPLICATIONINSIGHTS_CONNECTION_STRING must be the connection string of an Application Insights resource (InstrumentationKey=…;IngestionEndpoint=…), as the Azure portal shows it',
      );
    else out.azureMonitorConnectionString = connection;
  }
  return disabled ? {} : out;
}

/**
 * POLICY_FILE. In local mode the Playground's demo policy, so approvals can be tried at once. With an
 * app id there is no default: the bot refuses to start rather than let every user of an allowed
 * tenant change runtimes without approvals. `none` is that choice, made on purpose.
 */
function policyFile(
  configured: string | undefined,
  appId: string | undefined,
  playground: boolean,
  problems: string[],
): { policyFile?: string } {
  if (configured) return configured.toLowerCase() === 'none' ? {} : { policyFile: path.resolve(configured) };
  if (appId) {
    problems.push(
      'POLICY_FILE is required when MicrosoftAppId is set: name a policy file that says who may change runtimes ' +
        '(see policy.example.yaml), or set POLICY_FILE=none to let every user of an allowed tenant change them without approvals',
    );
    return {};
  }
  return playground ? { policyFile: path.join(ROOT, 'playground/policy.yaml') } : {};
}

const GUID = /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

/**
 * The bot's identity (MicrosoftAppId, MicrosoftAppType, MicrosoftAppTenantId, MicrosoftAppPassword) and
 * where the Bot Framework is. Every combination botbuilder would refuse, or would accept and then fail
 * on at the first message, is a problem here, with what to set.
 */
function botIdentity(
  str: (name: string) => string | undefined,
  bool: (name: string, fallback: boolean) => boolean,
  problems: string[],
): Pick<BotConfig, 'appId' | 'appPassword' | 'appType' | 'appTenantId' | 'botFramework'> {
  const appId = str('MicrosoftAppId');
  const appPassword = str('MicrosoftAppPassword');
  const appTenantId = str('MicrosoftAppTenantId');
  const rawType = str('MicrosoftAppType');
  // Unset means MultiTenant, as in botbuilder: existing registrations keep working without a new setting.
  const appType = rawType ? BOT_APP_TYPES.find((t) => t.toLowerCase() === rawType.toLowerCase()) : 'MultiTenant';
  if (!appType) problems.push(`MicrosoftAppType must be one of ${BOT_APP_TYPES.join(', ')} (got "${rawType}")`);
  if (!appId) {
    // A password or tenant without an app id is a typo in the app id's name, not a wish for no authentication.
    for (const name of ['MicrosoftAppPassword', 'MicrosoftAppTenantId'])
      if (str(name))
        problems.push(`${name} is set but MicrosoftAppId is not; set MicrosoftAppId to turn authentication on`);
    return { appType: appType ?? 'MultiTenant' };
  }
  if (!GUID.test(appId)) problems.push(`MicrosoftAppId must be the Azure Bot's app id, a GUID (got "${appId}")`);
  if (appTenantId && !GUID.test(appTenantId))
    problems.push(`MicrosoftAppTenantId must be a tenant id, a GUID (got "${appTenantId}")`);
  if (appType === 'UserAssignedMSI') {
    if (appPassword)
      problems.push('MicrosoftAppPassword must not be set for UserAssignedMSI: a managed identity has no secret');
    if (!appTenantId) problems.push("MicrosoftAppTenantId is required for UserAssignedMSI (the identity's tenant)");
  } else if (appType) {
    if (!appPassword)
      problems.push(
        `MicrosoftAppPassword is required when MicrosoftAppId is set (MicrosoftAppType=${appType}); a bot with a managed identity sets MicrosoftAppType=UserAssignedMSI instead`,
      );
    if (appType === 'SingleTenant' && !appTenantId)
      problems.push('MicrosoftAppTenantId is required for a SingleTenant bot');
    if (appType === 'MultiTenant' && appTenantId)
      problems.push(
        'MicrosoftAppTenantId is only used by SingleTenant and UserAssignedMSI bots: set MicrosoftAppType to the type of the Azure Bot',
      );
  }
  return {
    appId,
    ...(appPassword ? { appPassword } : {}),
    appType: appType ?? 'MultiTenant',
    ...(appTenantId ? { appTenantId } : {}),
    ...botFrameworkEndpoints(str, bool, problems),
  };
}

/** The Bot Framework's endpoints for a sovereign or private cloud: all of them, or none (the public cloud). */
function botFrameworkEndpoints(
  str: (name: string) => string | undefined,
  bool: (name: string, fallback: boolean) => boolean,
  problems: string[],
): { botFramework?: BotFrameworkEndpoints } {
  const urls = [
    'ToBotFromChannelOpenIdMetadataUrl',
    'ToBotFromEmulatorOpenIdMetadataUrl',
    'ToChannelFromBotLoginUrl',
    'OAuthUrl',
  ] as const;
  const names = ['ToBotFromChannelTokenIssuer', 'ToChannelFromBotOAuthScope', 'CallerId'] as const;
  const set = [...urls, ...names].filter((name) => str(name));
  if (set.length === 0) return {};
  const missing = [...urls, ...names].filter((name) => !str(name));
  if (missing.length) {
    problems.push(
      `${set[0]} is set, so botbuilder takes every Bot Framework endpoint from the settings: set ${missing.join(', ')} too (or none of them for the public cloud)`,
    );
    return {};
  }
  for (const name of urls) {
    const url = URL.canParse(str(name)!) ? new URL(str(name)!) : undefined;
    if (!url || !(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname))))
      problems.push(`${name} must be an https URL (got "${str(name)}")`);
  }
  const value = (name: (typeof urls)[number] | (typeof names)[number]) => str(name)!;
  return {
    botFramework: {
      ToBotFromChannelOpenIdMetadataUrl: value('ToBotFromChannelOpenIdMetadataUrl'),
      ToBotFromEmulatorOpenIdMetadataUrl: value('ToBotFromEmulatorOpenIdMetadataUrl'),
      ToBotFromChannelTokenIssuer: value('ToBotFromChannelTokenIssuer'),
      ToChannelFromBotLoginUrl: value('ToChannelFromBotLoginUrl'),
      ToChannelFromBotOAuthScope: value('ToChannelFromBotOAuthScope'),
      OAuthUrl: value('OAuthUrl'),
      CallerId: value('CallerId'),
      ValidateAuthority: bool('ValidateAuthority', true),
    },
  };
}

/** DIGEST_TIME: HH:MM in UTC, or off. */
function digestTime(raw: string, problems: string[]): { digestTime?: string } {
  if (raw.toLowerCase() === 'off') return {};
  const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(raw);
  if (!match) {
    problems.push(`DIGEST_TIME must be HH:MM (24-hour, UTC) or off (got "${raw}")`);
    return {};
  }
  return { digestTime: `${match[1].padStart(2, '0')}:${match[2]}` };
}

/** PROMPTFLOW_*: the retirement calendar, each date a real calendar day, the freeze before the retirement. */
function retirement(str: (name: string) => string | undefined, problems: string[]): RetirementConfig {
  const day = (name: string, fallback: string) => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (!isCalendarDay(raw)) {
      problems.push(`${name} must be a date as YYYY-MM-DD (got "${raw}")`);
      return fallback;
    }
    return raw;
  };
  const retiresOn = day('PROMPTFLOW_RETIREMENT_DATE', RETIREMENT_DEFAULTS.retiresOn);
  const featureFreezeOn = day('PROMPTFLOW_FEATURE_FREEZE_DATE', RETIREMENT_DEFAULTS.featureFreezeOn);
  if (featureFreezeOn >= retiresOn)
    problems.push(
      `PROMPTFLOW_FEATURE_FREEZE_DATE (${featureFreezeOn}) must be before PROMPTFLOW_RETIREMENT_DATE (${retiresOn})`,
    );
  const lastImage = str('PROMPTFLOW_LAST_IMAGE') ?? RETIREMENT_DEFAULTS.lastImage;
  if (!/^\d{8}\.v\d{1,4}$/.test(lastImage))
    problems.push(`PROMPTFLOW_LAST_IMAGE must be an image tag like 20251211.v2 (got "${lastImage}")`);
  return { retiresOn, featureFreezeOn, lastImage };
}

/** YYYY-MM-DD naming a day that exists (no 2027-02-30). */
function isCalendarDay(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [y, m, d] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/**
 * What a storage connection string lacks to reach blobs, by the Azure SDK's rules (names only:
 * the string holds a key); undefined when it has what it needs.
 */
function connectionStringProblem(value: string): string | undefined {
  const has = new Set(
    value
      .split(';')
      .filter((part) => /=./.test(part))
      .map((part) => part.slice(0, part.indexOf('=')).trim()),
  );
  if (/(^|;)\s*UseDevelopmentStorage=true\s*(;|$)/.test(value)) return undefined;
  const missing = (names: string[]) => names.filter((n) => !has.has(n));
  if (has.has('SharedAccessSignature'))
    return has.has('BlobEndpoint') ? undefined : 'a SharedAccessSignature needs a BlobEndpoint';
  const needed = missing(['AccountName', 'AccountKey']);
  if (!has.has('BlobEndpoint')) needed.push(...missing(['DefaultEndpointsProtocol', 'EndpointSuffix']));
  return needed.length ? `it lacks ${needed.join(', ')}` : undefined;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
