/** The shape of the configuration that src/config.ts parses; every part of the product reads these types. */
import type { LogLevel } from '../logger';

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

/** Which program reads the configuration: the runtime service alone needs no sealing key. */
export type ConfigFor = 'bot' | 'service';
