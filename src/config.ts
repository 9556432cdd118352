/**
 * All configuration, parsed and validated once from the environment (and `.env`). Nothing else in
 * the code reads process.env. A bad setting stops start-up with every problem listed at once. The
 * parts that need more than a line each are in src/config/, by who reads them.
 */
import path from 'node:path';
import { botIdentity, digestTime, policyFile, retirement } from './config/botSettings';
import { GUID, envReader, isLoopback } from './config/reader';
import { azureml, registry } from './config/serviceSettings';
import { blobStorage } from './config/storageSettings';
import { telemetry } from './config/telemetrySettings';
import { type Config, ConfigError, type ConfigFor, EVENT_STREAM_DEFAULTS } from './config/types';

export * from './config/types';
export { isLoopback } from './config/reader';

/** The package root (in a build, dist/, which holds copies of the assets). */
const ROOT = path.resolve(__dirname, '..');

export function loadConfig(env: NodeJS.ProcessEnv = process.env, app: ConfigFor = 'bot'): Config {
  const read = envReader(env);
  const { str, int, num, bool, oneOf, list, problems } = read;

  const { appId, appPassword, appType, appTenantId, botFramework } = botIdentity(read);
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
  // AZURE_CLIENT_ID: which user-assigned managed identity DefaultAzureCredential signs in as (Blob
  // storage and Azure ML); a host with several identities needs it, and it must be a client id.
  const clientId = str('AZURE_CLIENT_ID');
  if (clientId && !GUID.test(clientId))
    problems.push(
      `AZURE_CLIENT_ID must be the client id (a GUID) of a managed identity or app (got "${clientId.slice(0, 80)}")`,
    );
  const identity = clientId && GUID.test(clientId) ? { managedIdentityClientId: clientId.toLowerCase() } : {};
  // Relative to the working folder (npm scripts run in the package root), never inside dist/, which a build replaces.
  const dataDir = path.resolve(str('DATA_DIR') ?? 'data');
  const storage = oneOf('STORAGE', ['file', 'memory', 'blob'] as const, 'file');

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
      ...policyFile(read, app === 'bot' ? appId : undefined, bool('PLAYGROUND', !appId)),
      ...(str('SECRETS_KEY') ? { secretsKey: str('SECRETS_KEY')! } : {}),
      notifications: {
        ...digestTime(read),
        idleWarningMinutes: int('IDLE_WARNING_MINUTES', 15, 1, 24 * 60),
        globalSendsPerSecond: int('SEND_RATE_GLOBAL_PER_SECOND', 30, 1, 1000),
      },
      retirement: retirement(read),
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
      ...registry(read, provider),
      ...(provider === 'azureml' ? azureml(read, identity) : {}),
    },
    serviceUrl: (serviceUrl ?? `http://127.0.0.1:${servicePort}`).replace(/\/+$/, ''),
    embedService: !serviceUrl,
    dataDir,
    storage,
    ...(storage === 'blob' ? { blob: blobStorage(read, identity) } : {}),
    logLevel: oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const, 'info'),
    playground: { enabled: bool('PLAYGROUND', !appId), port: int('PLAYGROUND_PORT', 56150, 1, 65535) },
    telemetry: telemetry(read),
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
