/**
 * The check over the deployment files that cannot be deployed here: it evaluates infra/azure.bicep
 * (with infra/azure.parameters.json and the Agents Toolkit's env examples) the way Azure would, and
 * reads m365agents.yml, m365agents.local.yml and the Dockerfile. It reports, as sentences:
 * - an app setting that src/config.ts does not read (nor the platform: WEBSITE_*, SCM_*);
 * - app settings that src/config.ts refuses (loadConfig itself runs on each app's settings), or that
 *   miss what production needs (auth, approval policy, shared state, sealing key, service token);
 * - names that disagree across files: the container, the identity (client id, resource id), the
 *   service URL given to the bot vs the app that runs the service, the commands vs package.json, the
 *   health path vs the routes, toolkit variables vs what defines them, the Azure ML workspace.
 * It works on file texts, so a test can change one file's copy and see the check fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseEnv } from 'dotenv';
import { parse as parseYaml } from 'yaml';
import { ConfigError, loadConfig } from '../../../src/config';
import { ENTRY_POINTS, RUNTIME_ASSETS, STAGE_FOLDER } from '../../../scripts/build';
import { type BicepFile, type Deployment, entry, Evaluator, parseBicep, unsupportedIn, type Value } from './bicep';

export const DEPLOYMENT_FILES = {
  bicep: 'infra/azure.bicep',
  azureMlRole: 'infra/modules/azureMlWorkspaceRole.bicep',
  parameters: 'infra/azure.parameters.json',
  toolkit: 'm365agents.yml',
  toolkitLocal: 'm365agents.local.yml',
  envDev: 'env/.env.dev.example',
  envDevUser: 'env/.env.dev.user.example',
  envLocal: 'env/.env.local.example',
  dockerfile: 'Dockerfile',
  config: 'src/config.ts',
  packageJson: 'package.json',
  packageScript: 'scripts/package.ts',
  botServer: 'src/channels/teams/server.ts',
  serviceHealth: 'src/service/routes/health.ts',
} as const;
export type DeploymentFiles = Record<keyof typeof DEPLOYMENT_FILES, string>;

export function readDeploymentFiles(root: string): DeploymentFiles {
  const files = Object.fromEntries(
    Object.entries(DEPLOYMENT_FILES).map(([key, file]) => [key, readFileSync(path.join(root, file), 'utf8')]),
  ) as DeploymentFiles;
  // src/config.ts parses some settings in its parts under src/config/: what they read, it knows.
  const parts = path.join(root, 'src/config');
  for (const part of readdirSync(parts).filter((name) => name.endsWith('.ts')))
    files.config += `\n${readFileSync(path.join(parts, part), 'utf8')}`;
  return files;
}

/** Read by App Service itself, not by the product. */
const PLATFORM_SETTINGS: Record<string, string> = {
  WEBSITES_PORT: 'the port App Service forwards HTTP to',
  WEBSITE_RUN_FROM_PACKAGE: 'App Service mounts the deployed zip read-only',
  SCM_DO_BUILD_DURING_DEPLOYMENT: 'no build on App Service: the zip is staged with its dependencies',
};

/** Variables the Agents Toolkit defines itself. */
const TOOLKIT_BUILT_INS = ['AZURE_SUBSCRIPTION_ID', 'AZURE_RESOURCE_GROUP_NAME', 'TEAMSFX_ENV', 'TEAMS_APP_TENANT_ID'];

const ROLES = {
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
  azureMlDataScientist: 'f6c7c914-8db3-469d-8ca1-694a8f32e121',
};

/** What an operator fills in (values the examples leave empty), and what Azure decides. */
export interface Samples {
  deployment: Deployment;
  /** Values for the toolkit variables whose example is empty (the secrets included). */
  env: Record<string, string>;
}

export interface CheckResult {
  problems: string[];
  /** Each app's settings as the process would see them (Key Vault references resolved). */
  apps: Record<'bot' | 'service' | 'local', Record<string, string>>;
}

/** The names src/config.ts reads: every str/int/num/bool/oneOf/list/required/httpsUrl('NAME'). */
export function settingsConfigKnows(configSource: string): Set<string> {
  const names = new Set<string>();
  for (const [, name] of configSource.matchAll(
    /\b(?:str|int|num|bool|oneOf|list|required|httpsUrl)\(\s*'([A-Za-z_][A-Za-z0-9_]*)'/g,
  ))
    names.add(name);
  return names;
}

function placeholders(text: string): string[] {
  return [...text.matchAll(/\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)].map((m) => m[1]);
}

function substitute(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_m, name: string) => env[name] ?? '');
}

interface ToolkitStep {
  uses: string;
  name?: string;
  with?: Record<string, unknown>;
  writeToEnvironmentFile?: Record<string, string>;
}
type ToolkitFile = Record<'provision' | 'deploy' | 'publish', ToolkitStep[] | undefined>;

export function checkDeployment(files: DeploymentFiles, samples: Samples): CheckResult {
  const problems: string[] = [];
  const problem = (text: string) => problems.push(text);
  const known = settingsConfigKnows(files.config);
  const scripts = (JSON.parse(files.packageJson) as { scripts: Record<string, string> }).scripts;

  // ---- The toolkit variables, and the Bicep parameters they feed ------------------------------------
  let bicep: BicepFile;
  try {
    bicep = parseBicep(files.bicep);
  } catch (error) {
    return { problems: [`${DEPLOYMENT_FILES.bicep}: ${(error as Error).message}`], apps: emptyApps() };
  }
  const devEnv = { ...parseEnv(files.envDev), ...parseEnv(files.envDevUser) };
  const outputs = [...bicep.outputs.keys()];
  const toolkit = parseYaml(files.toolkit) as ToolkitFile;
  const toolkitLocal = parseYaml(files.toolkitLocal) as ToolkitFile;
  checkToolkitVariables(DEPLOYMENT_FILES.toolkit, toolkit, [...Object.keys(devEnv), ...outputs], problem);
  checkToolkitVariables(DEPLOYMENT_FILES.toolkitLocal, toolkitLocal, Object.keys(parseEnv(files.envLocal)), problem);
  for (const name of placeholders(files.parameters))
    if (!(name in devEnv) && !TOOLKIT_BUILT_INS.includes(name))
      problem(`${DEPLOYMENT_FILES.parameters} uses \${{${name}}}, which ${DEPLOYMENT_FILES.envDev} does not define`);
  const envValues: Record<string, string> = Object.fromEntries(
    Object.entries({ ...devEnv, ...samples.env }).map(([k, v]) => [k, devEnv[k] ? devEnv[k] : v]),
  );
  const parameters = (
    JSON.parse(substitute(files.parameters, envValues)) as { parameters: Record<string, { value: Value }> }
  ).parameters;
  for (const name of Object.keys(parameters))
    if (!bicep.params.has(name)) problem(`${DEPLOYMENT_FILES.parameters} sets "${name}", which is not a parameter`);
  for (const [name, param] of bicep.params)
    if (!param.default && !(name in parameters))
      problem(`the parameter "${name}" has no default and ${DEPLOYMENT_FILES.parameters} does not set it`);

  const params = Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, v.value]));
  const ev = new Evaluator(bicep, params, samples.deployment);
  checkParameterBounds(bicep, ev, problem);

  // ---- The two apps: which site runs what, with which settings --------------------------------------
  const sites = [...bicep.resources].filter(([, r]) => r.type.toLowerCase().startsWith('microsoft.web/sites@'));
  const siteRunning = (script: string) =>
    sites.find(([, r]) => str(ev, entry(r.body, 'properties.siteConfig.appCommandLine')) === `npm run ${script}`)?.[0];
  const botSite = siteRunning('start:prod');
  const serviceSite = siteRunning('service:prod');
  if (!botSite) problem('no App Service app runs "npm run start:prod" (the compiled bot)');
  if (!serviceSite) problem('no App Service app runs "npm run service:prod" (the compiled runtime service)');
  for (const [script, entryPoint] of [
    ['start:prod', ENTRY_POINTS.bot],
    ['service:prod', ENTRY_POINTS.service],
  ]) {
    const command = scripts[script] ?? '';
    if (!/^node\b/.test(command) || !command.includes(entryPoint) || /\btsx\b/.test(command))
      problem(`package.json "${script}" must run node ${entryPoint} without tsx (got "${command}")`);
  }
  const settingsOf = (site: string | undefined): Record<string, Value> => {
    const config = [...bicep.resources.values()].find((r) => {
      const parent = entry(r.body, 'parent');
      return (
        r.type.toLowerCase().startsWith('microsoft.web/sites/config@') &&
        parent?.k === 'ref' &&
        parent.name === site &&
        str(ev, entry(r.body, 'name')) === 'appsettings'
      );
    });
    if (site && !config) problem(`the app "${site}" has no appsettings`);
    const value = config ? ev.value(entry(config.body, 'properties')!) : {};
    return typeof value === 'object' && !Array.isArray(value) ? value : {};
  };
  const bicepApps = { bot: settingsOf(botSite), service: settingsOf(serviceSite) };

  for (const [app, site] of [
    ['bot', botSite],
    ['service', serviceSite],
  ] as const) {
    if (!site) continue;
    const health = str(ev, entry(bicep.resources.get(site)!.body, 'properties.siteConfig.healthCheckPath'));
    const source = app === 'bot' ? files.botServer : files.serviceHealth;
    if (health !== '/readyz') problem(`the ${app} app's health check path is "${health}", not /readyz`);
    else if (!source.includes(`'/readyz'`)) problem(`the ${app} does not serve /readyz, its health check path`);
  }

  // Key Vault references resolve to the secret's value, as App Service does with the identity.
  const secrets = new Map<string, string>();
  for (const [symbol, r] of bicep.resources)
    if (r.type.toLowerCase().startsWith('microsoft.keyvault/vaults/secrets@')) {
      const uri = String(
        ev.value({
          k: 'member',
          of: { k: 'member', of: { k: 'ref', name: symbol }, prop: 'properties' },
          prop: 'secretUri',
        }),
      );
      secrets.set(uri, str(ev, entry(r.body, 'properties.value')));
    }
  const resolve = (app: string, settings: Record<string, Value>): Record<string, string> =>
    Object.fromEntries(
      Object.entries(settings).map(([name, value]) => {
        for (const bad of unsupportedIn(value)) problem(`${app} setting ${name} cannot be evaluated: ${bad}`);
        const reference = /^@Microsoft\.KeyVault\(SecretUri=([^)]+)\)$/.exec(String(value));
        if (!reference) return [name, String(value)];
        const secret = secrets.get(reference[1].replace(/\/$/, ''));
        if (secret === undefined)
          problem(`${app} setting ${name} refers to a Key Vault secret the template does not create`);
        return [name, secret ?? ''];
      }),
    );
  const apps = { bot: resolve('bot', bicepApps.bot), service: resolve('service', bicepApps.service) };

  // ---- Each setting is one the product (or the platform) reads; the product accepts them all -------
  const local = localSettings(toolkitLocal, samples.env, problem);
  for (const [app, settings] of Object.entries({ ...apps, local })) {
    for (const name of Object.keys(settings)) {
      if (known.has(name) || (app !== 'local' && name in PLATFORM_SETTINGS)) continue;
      problem(`${app} app setting ${name} is not a setting src/config.ts knows`);
    }
    try {
      loadConfig(settings, app === 'service' ? 'service' : 'bot');
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const p of error.problems) problem(`${app} app settings refused by src/config.ts: ${p}`);
    }
  }
  for (const app of ['bot', 'local'] as const) requireBotInProduction(app, app === 'bot' ? apps.bot : local, problem);
  for (const app of ['bot', 'service'] as const) requireSharedState(app, apps[app], problem);
  if (apps.bot.RUNTIME_SERVICE_TOKEN !== apps.service.RUNTIME_SERVICE_TOKEN || !apps.service.RUNTIME_SERVICE_TOKEN)
    problem('the bot and the service must be given the same, non-empty RUNTIME_SERVICE_TOKEN');
  if (apps.service.RUNTIME_PROVIDER !== 'azureml') problem('the deployed service must use RUNTIME_PROVIDER=azureml');
  for (const [app, portSetting] of [
    ['bot', 'PORT'],
    ['service', 'RUNTIME_SERVICE_PORT'],
  ] as const)
    if (apps[app][portSetting] !== apps[app].WEBSITES_PORT)
      problem(
        `the ${app} listens on ${portSetting}=${apps[app][portSetting]} but App Service forwards to WEBSITES_PORT=${apps[app].WEBSITES_PORT}`,
      );

  // ---- Names that must agree ------------------------------------------------------------------------
  const typed = (type: string) =>
    [...bicep.resources].filter(([, r]) => r.type.toLowerCase().startsWith(`${type.toLowerCase()}@`));
  const idOf = (symbol: string) => ev.resourceId(symbol);
  const identities = typed('Microsoft.ManagedIdentity/userAssignedIdentities').map(([s]) => ({
    symbol: s,
    id: idOf(s),
    clientId: prop(ev, s, 'properties.clientId'),
    principalId: prop(ev, s, 'properties.principalId'),
  }));
  const identity = identities.find((i) => i.clientId === apps.bot.MicrosoftAppId);
  if (!identity) problem('MicrosoftAppId is not the client id of a managed identity of the template');
  for (const app of ['bot', 'service'] as const) {
    if (apps[app].AZURE_CLIENT_ID !== identity?.clientId)
      problem(`the ${app}'s AZURE_CLIENT_ID is not the client id of the bot's identity`);
    const site = app === 'bot' ? botSite : serviceSite;
    if (!site) continue;
    const body = ev.value(bicep.resources.get(site)!.body) as Record<string, any>;
    const assigned = Object.keys(body.identity?.userAssignedIdentities ?? {}).map((k) =>
      k.startsWith("'${") ? String(ev.value(parseExpression(k))) : k,
    );
    if (!identity || !assigned.includes(identity.id))
      problem(`the ${app} app does not carry the identity whose client id it is given`);
    if (
      Object.values(apps[app]).some((v) => secrets.has(v)) ||
      Object.values(bicepApps[app]).some((v) => String(v).startsWith('@Microsoft.KeyVault'))
    )
      if (body.properties?.keyVaultReferenceIdentity !== identity?.id)
        problem(`the ${app} app resolves Key Vault references with another identity than its own`);
  }

  // The state: the container both apps name exists, in the account they name, open to the identity.
  const containers = typed('Microsoft.Storage/storageAccounts/blobServices/containers');
  for (const app of ['bot', 'service'] as const) {
    const { AZURE_STORAGE_CONTAINER: container, AZURE_STORAGE_ACCOUNT_URL: url } = apps[app];
    const match = containers.find(([s]) => ev.resourceName(s) === container);
    if (!match) {
      problem(`the ${app}'s AZURE_STORAGE_CONTAINER "${container}" is not a container of the template`);
      continue;
    }
    const account = typed('Microsoft.Storage/storageAccounts').find(([s]) => idOf(match[0]).startsWith(`${idOf(s)}/`));
    if (!account || prop(ev, account[0], 'properties.primaryEndpoints.blob') !== url)
      problem(`the ${app}'s AZURE_STORAGE_ACCOUNT_URL is not the account that holds the container "${container}"`);
    else if (String(prop(ev, account[0], 'properties.allowSharedKeyAccess')) !== 'false')
      problem('the storage account allows shared keys: state access must be by identity only');
    if (
      !roleAssigned(ev, bicep, ROLES.storageBlobDataContributor, identity?.principalId, [
        idOf(match[0]),
        ...(account ? [idOf(account[0])] : []),
      ])
    )
      problem(`the identity has no Storage Blob Data Contributor role on the container "${container}"`);
  }
  if (
    secrets.size &&
    !roleAssigned(
      ev,
      bicep,
      ROLES.keyVaultSecretsUser,
      identity?.principalId,
      typed('Microsoft.KeyVault/vaults').map(([s]) => idOf(s)),
    )
  )
    problem('the identity cannot read the Key Vault secrets the apps refer to (Key Vault Secrets User)');

  // The service URL the bot is given is the app that runs the service.
  const serviceHost = serviceSite ? prop(ev, serviceSite, 'properties.defaultHostName') : undefined;
  if (apps.bot.RUNTIME_SERVICE_URL !== `https://${serviceHost}`)
    problem(
      `the bot's RUNTIME_SERVICE_URL (${apps.bot.RUNTIME_SERVICE_URL}) is not the app that runs the service (https://${serviceHost})`,
    );

  // The Azure Bot: the identity is its app id, it calls the bot's app, Teams is a channel.
  const [botService] = typed('Microsoft.BotService/botServices');
  if (!botService) problem('the template has no Azure Bot (Microsoft.BotService/botServices)');
  else {
    const p = (key: string) => prop(ev, botService[0], `properties.${key}`);
    if (p('msaAppId') !== apps.bot.MicrosoftAppId) problem("the Azure Bot's msaAppId is not the bot's MicrosoftAppId");
    if (p('msaAppType') !== apps.bot.MicrosoftAppType)
      problem("the Azure Bot's msaAppType is not the bot's MicrosoftAppType");
    if (p('msaAppTenantId') !== apps.bot.MicrosoftAppTenantId)
      problem("the Azure Bot's tenant is not the bot's MicrosoftAppTenantId");
    if (p('msaAppType') === 'UserAssignedMSI' && p('msaAppMSIResourceId') !== identity?.id)
      problem("the Azure Bot's msaAppMSIResourceId is not the bot's identity");
    const botHost = botSite ? prop(ev, botSite, 'properties.defaultHostName') : undefined;
    if (p('endpoint') !== `https://${botHost}/api/messages`)
      problem(`the Azure Bot's endpoint (${p('endpoint')}) is not the bot app's /api/messages`);
    const teams = typed('Microsoft.BotService/botServices/channels').find(([, r]) => {
      const parent = entry(r.body, 'parent');
      return (
        parent?.k === 'ref' &&
        parent.name === botService[0] &&
        str(ev, entry(r.body, 'properties.channelName')) === 'MsTeamsChannel'
      );
    });
    if (!teams) problem('the Azure Bot has no Teams channel (MsTeamsChannel)');
  }

  // Two instances of each app, and the Azure ML role where the service's workspace is.
  for (const [symbol] of typed('Microsoft.Web/serverfarms')) {
    const capacity = Number(prop(ev, symbol, 'sku.capacity'));
    if (!(capacity >= 2)) problem(`the App Service plan runs ${capacity} instance(s); the apps need two or more`);
  }
  checkAzureMlRole(files, bicep, ev, apps.service, identity?.principalId, problem);

  // ---- The toolkit's steps: outputs, deploys, the policy upload, the package ------------------------
  const output = (name: string) => (bicep.outputs.has(name) ? String(ev.value(bicep.outputs.get(name)!)) : undefined);
  const deploys = (toolkit.deploy ?? []).filter((s) => s.uses === 'azureAppService/zipDeploy');
  for (const [app, site] of [
    ['bot', botSite],
    ['service', serviceSite],
  ] as const) {
    const step = deploys.find((s) => {
      const [variable] = placeholders(String(s.with?.resourceId ?? ''));
      return site && variable && output(variable) === idOf(site);
    });
    if (!step)
      problem(`${DEPLOYMENT_FILES.toolkit} deploys no zip to the ${app} app (resourceId from the template's outputs)`);
    else if (path.normalize(String(step.with?.artifactFolder)) !== path.normalize(STAGE_FOLDER))
      problem(
        `${DEPLOYMENT_FILES.toolkit} deploys ${step.with?.artifactFolder} to the ${app}, not the staged ${STAGE_FOLDER}`,
      );
  }
  const upload = (toolkit.deploy ?? []).find(
    (s) => s.uses === 'script' && /az webapp deploy/.test(String(s.with?.run)),
  );
  const uploadRun = String(upload?.with?.run ?? '');
  const target = /--target-path\s+(\S+)/.exec(uploadRun)?.[1];
  const [appVariable] = placeholders(/--name\s+(\S+)/.exec(uploadRun)?.[1] ?? '');
  if (target !== apps.bot.POLICY_FILE)
    problem(
      `${DEPLOYMENT_FILES.toolkit} uploads the policy to ${target}, but the bot reads POLICY_FILE=${apps.bot.POLICY_FILE}`,
    );
  if (!botSite || !appVariable || output(appVariable) !== ev.resourceName(botSite))
    problem(`${DEPLOYMENT_FILES.toolkit} uploads the policy to another app than the bot`);
  if (output('BOT_ID') !== apps.bot.MicrosoftAppId || !files.packageScript.includes('BOT_ID'))
    problem('the app package must take the bot id (BOT_ID, from the template) that the bot runs with');
  if (botSite && output('BOT_DOMAIN') !== prop(ev, botSite, 'properties.defaultHostName'))
    problem("BOT_DOMAIN (the package's valid domain) is not the bot app's host name");

  checkDockerfile(files.dockerfile, scripts, problem);
  return { problems, apps: { ...apps, local } };
}

function emptyApps(): CheckResult['apps'] {
  return { bot: {}, service: {}, local: {} };
}

function str(ev: Evaluator, node: ReturnType<typeof entry>): string {
  return node ? String(ev.value(node)) : '';
}

function prop(ev: Evaluator, symbol: string, key: string): string {
  const node = key
    .split('.')
    .reduce<Parameters<Evaluator['value']>[0]>((of, p) => ({ k: 'member', of, prop: p }), { k: 'ref', name: symbol });
  return String(ev.value(node));
}

function parseExpression(quotedKey: string): Parameters<Evaluator['value']>[0] {
  return parseBicep(`var x = ${quotedKey}\n`).vars.get('x')!;
}

function roleAssigned(
  ev: Evaluator,
  file: BicepFile,
  role: string,
  principalId: string | undefined,
  scopes: string[],
): boolean {
  return [...file.resources.values()].some((r) => {
    if (!r.type.toLowerCase().startsWith('microsoft.authorization/roleassignments@')) return false;
    const value = ev.value(r.body) as Record<string, any>;
    return (
      String(value.properties?.roleDefinitionId).endsWith(`/${role}`) &&
      value.properties?.principalId === principalId &&
      scopes.includes(String(value.scope))
    );
  });
}

/** What ARM checks before deploying: @minLength, @maxLength, @minValue and @allowed of each parameter. */
function checkParameterBounds(bicep: BicepFile, ev: Evaluator, problem: (p: string) => void): void {
  for (const [name, param] of bicep.params) {
    const value = ev.value({ k: 'ref', name });
    for (const decorator of param.decorators) {
      if (decorator.k !== 'call' || !decorator.args[0]) continue;
      const bound = ev.value(decorator.args[0]);
      const length = typeof value === 'string' ? value.length : NaN;
      const broken =
        (decorator.fn === 'minLength' && length < Number(bound)) ||
        (decorator.fn === 'maxLength' && length > Number(bound)) ||
        (decorator.fn === 'minValue' && Number(value) < Number(bound)) ||
        (decorator.fn === 'allowed' && Array.isArray(bound) && !bound.includes(value));
      if (broken)
        problem(`the parameter ${name} gets "${value}", which breaks its @${decorator.fn}(${JSON.stringify(bound)})`);
    }
  }
}

function checkToolkitVariables(
  file: string,
  toolkit: ToolkitFile,
  defined: string[],
  problem: (p: string) => void,
): void {
  const available = new Set([...defined, ...TOOLKIT_BUILT_INS]);
  for (const stage of ['provision', 'deploy', 'publish'] as const) {
    for (const step of toolkit[stage] ?? []) {
      for (const name of placeholders(JSON.stringify(step.with ?? {})))
        if (!available.has(name))
          problem(`${file} ${stage} step ${step.name ?? step.uses} uses \${{${name}}}, which nothing defines`);
      for (const name of Object.values(step.writeToEnvironmentFile ?? {})) available.add(name);
    }
  }
}

/** The settings m365agents.local.yml writes to .localConfigs, with the toolkit's variables filled in. */
function localSettings(
  toolkit: ToolkitFile,
  env: Record<string, string>,
  problem: (p: string) => void,
): Record<string, string> {
  const step = (toolkit.deploy ?? []).find((s) => s.uses === 'file/createOrUpdateEnvironmentFile');
  if (!step || step.with?.target !== './.localConfigs') {
    problem(`${DEPLOYMENT_FILES.toolkitLocal} writes no .localConfigs for npm run start:teams`);
    return {};
  }
  return Object.fromEntries(
    Object.entries((step.with?.envs ?? {}) as Record<string, unknown>).map(([k, v]) => [k, substitute(String(v), env)]),
  );
}

/** What a bot with an app id needs to be safe and keep its state (the brief's production rules). */
function requireBotInProduction(app: string, s: Record<string, string>, problem: (p: string) => void): void {
  if (!s.MicrosoftAppId) problem(`${app}: MicrosoftAppId is required (Bot Framework authentication)`);
  if (s.MicrosoftAppType === 'UserAssignedMSI') {
    if (s.MicrosoftAppPassword) problem(`${app}: a UserAssignedMSI bot has no MicrosoftAppPassword`);
    if (!s.MicrosoftAppTenantId) problem(`${app}: UserAssignedMSI needs MicrosoftAppTenantId`);
  } else if (s.MicrosoftAppType === 'SingleTenant') {
    if (!s.MicrosoftAppPassword || !s.MicrosoftAppTenantId)
      problem(`${app}: SingleTenant needs MicrosoftAppPassword and MicrosoftAppTenantId`);
  } else
    problem(
      `${app}: MicrosoftAppType must be SingleTenant or UserAssignedMSI (new multi-tenant bots cannot be created)`,
    );
  if (!s.POLICY_FILE || s.POLICY_FILE.toLowerCase() === 'none')
    problem(`${app}: POLICY_FILE is required in production`);
  if (!s.ALLOWED_TENANT_IDS) problem(`${app}: ALLOWED_TENANT_IDS should name the tenant(s) of the bot`);
}

function requireSharedState(app: string, s: Record<string, string>, problem: (p: string) => void): void {
  if (s.STORAGE !== 'blob') problem(`${app}: replicas share state through STORAGE=blob (got "${s.STORAGE}")`);
  if (!s.AZURE_STORAGE_CONTAINER) problem(`${app}: STORAGE=blob needs AZURE_STORAGE_CONTAINER`);
  if (!s.AZURE_STORAGE_ACCOUNT_URL && !s.AZURE_STORAGE_CONNECTION_STRING)
    problem(`${app}: STORAGE=blob needs AZURE_STORAGE_ACCOUNT_URL or AZURE_STORAGE_CONNECTION_STRING`);
  if (app === 'bot' && Buffer.from(s.SECRETS_KEY ?? '', 'base64').length !== 32)
    problem(`${app}: STORAGE=blob needs SECRETS_KEY (32 bytes, base64), the same on every replica`);
}

function checkAzureMlRole(
  files: DeploymentFiles,
  bicep: BicepFile,
  ev: Evaluator,
  service: Record<string, string>,
  principalId: string | undefined,
  problem: (p: string) => void,
): void {
  const module = [...bicep.modules.values()].find(
    (m) => path.normalize(m.path) === path.normalize('./modules/azureMlWorkspaceRole.bicep'),
  );
  if (!module) return problem('the template does not give the identity a role on the Azure ML workspace');
  const scope = ev.value(entry(module.body, 'scope')!) as Record<string, string>;
  const params = ev.value(entry(module.body, 'params')!) as Record<string, Value>;
  if (scope.subscriptionId !== service.AZUREML_SUBSCRIPTION_ID || scope.name !== service.AZUREML_RESOURCE_GROUP)
    problem("the Azure ML role is assigned in another resource group than the service's AZUREML_RESOURCE_GROUP");
  if (params.principalId !== principalId)
    problem('the Azure ML role is assigned to another identity than the bot and service');
  const roleFile = parseBicep(files.azureMlRole);
  const roleEv = new Evaluator(roleFile, params, {
    ...ev.deployment,
    subscriptionId: scope.subscriptionId,
    resourceGroup: scope.name,
  });
  const workspace = [...roleFile.resources].find(
    ([, r]) => r.existing && r.type.toLowerCase().startsWith('microsoft.machinelearningservices/workspaces@'),
  );
  if (!workspace || roleEv.resourceName(workspace[0]) !== service.AZUREML_WORKSPACE)
    problem("the Azure ML role's workspace is not the service's AZUREML_WORKSPACE");
  else if (!roleAssigned(roleEv, roleFile, ROLES.azureMlDataScientist, principalId, [roleEv.resourceId(workspace[0])]))
    problem('the identity has no AzureML Data Scientist role on the workspace');
}

function checkDockerfile(dockerfile: string, scripts: Record<string, string>, problem: (p: string) => void): void {
  const lines = dockerfile.split('\n').map((l) => l.trim());
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1) ?? '';
  if (stages.length < 2) problem('the Dockerfile must be multi-stage (build, then run)');
  if (!/^USER (?!root\b)\S+/m.test(runtime)) problem('the Dockerfile must run as a non-root USER');
  if (!lines.some((l) => /^RUN npm run stage\b/.test(l)))
    problem('the Dockerfile must build with npm run stage (npm ci --omit=dev)');
  if (/\btsx\b/.test(runtime)) problem('the Dockerfile runs tsx at run time');
  const cmd = /^CMD (\[.*\])/m.exec(runtime)?.[1];
  if (!cmd || (JSON.parse(cmd) as string[]).join(' ') !== scripts['start:prod'])
    problem(`the Dockerfile's CMD ${cmd} is not npm run start:prod's command (${scripts['start:prod']})`);
  for (const needed of ['src', 'scripts', 'tsconfig.json', 'tsconfig.build.json', ...RUNTIME_ASSETS])
    if (!lines.some((l) => new RegExp(`^COPY .*\\b${needed.replace('.', '\\.')}\\b`).test(l)))
      problem(`the Dockerfile's build stage does not copy ${needed}, which the build needs`);
}
