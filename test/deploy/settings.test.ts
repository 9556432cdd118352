/**
 * The deployment files that cannot be deployed here (no Azure, no Bicep CLI, no Docker engine) are
 * still checked: test/deploy/support/deploymentCheck.ts evaluates the Bicep as Azure would, runs
 * src/config.ts's loadConfig on each app's settings, and compares the names across the Bicep, the
 * Agents Toolkit files, package.json and the Dockerfile. Then each kind of drift is made on a copy,
 * one side only, to see the check catch it.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkDeployment,
  DEPLOYMENT_FILES,
  type DeploymentFiles,
  readDeploymentFiles,
  type Samples,
  settingsConfigKnows,
} from './support/deploymentCheck';

const ROOT = path.resolve(__dirname, '../..');
const FILES = readDeploymentFiles(ROOT);
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SUBSCRIPTION = '8a0f3b8e-5c1d-4e2f-9a3b-6c7d8e9f0a1b';

/** What an operator fills in, and where Azure puts it. */
const SAMPLES: Samples = {
  deployment: {
    subscriptionId: SUBSCRIPTION,
    tenantId: TENANT,
    resourceGroup: 'rg-runtime-bot',
    location: 'swedencentral',
  },
  env: {
    AZURE_SUBSCRIPTION_ID: SUBSCRIPTION,
    AZURE_RESOURCE_GROUP_NAME: 'rg-runtime-bot',
    RESOURCE_BASE_NAME: 'runtimebot-contoso',
    ALLOWED_TENANT_IDS: TENANT,
    AZUREML_SUBSCRIPTION_ID: SUBSCRIPTION,
    AZUREML_RESOURCE_GROUP: 'rg-ml',
    AZUREML_WORKSPACE: 'ml-prompt-flow',
    AZUREML_DISCOVERY_URL: 'https://swedencentral.api.azureml.ms/discovery',
    SECRET_SECRETS_KEY: randomBytes(32).toString('base64'),
    SECRET_RUNTIME_SERVICE_TOKEN: randomBytes(32).toString('hex'),
    // The local environment, after `atk provision --env local`.
    BOT_ID: '0f6d1c2b-3a4e-4f5a-8b6c-7d8e9f0a1b2c',
    SECRET_BOT_PASSWORD: 'generated-by-the-toolkit',
    TEAMS_APP_TENANT_ID: TENANT,
  },
};

function check(files: DeploymentFiles = FILES): string[] {
  return checkDeployment(files, SAMPLES).problems;
}

describe('deployment settings check', () => {
  it('should read the settings src/config.ts knows from its source', () => {
    const known = settingsConfigKnows(FILES.config);
    for (const name of [
      'MicrosoftAppId',
      'MicrosoftAppType',
      'RUNTIME_SERVICE_URL',
      'AZUREML_WORKSPACE',
      'POLICY_FILE',
    ])
      expect(known).toContain(name);
  });

  it('should find the deployment files consistent, every setting known to src/config.ts', () => {
    expect(check()).toEqual([]);
  });

  it('should give the bot and the service the settings production needs', () => {
    const { apps } = checkDeployment(FILES, SAMPLES);
    expect(apps.bot).toMatchObject({
      MicrosoftAppType: 'UserAssignedMSI',
      STORAGE: 'blob',
      ALLOWED_TENANT_IDS: TENANT,
    });
    expect(apps.bot.MicrosoftAppId).toBe(apps.bot.AZURE_CLIENT_ID);
    expect(apps.bot).not.toHaveProperty('MicrosoftAppPassword');
    expect(apps.bot.SECRETS_KEY).toBe(SAMPLES.env.SECRET_SECRETS_KEY); // through the Key Vault reference
    expect(apps.service).toMatchObject({ RUNTIME_PROVIDER: 'azureml', AZUREML_WORKSPACE: 'ml-prompt-flow' });
    expect(apps.local).toMatchObject({ MicrosoftAppType: 'SingleTenant', MicrosoftAppId: SAMPLES.env.BOT_ID });
  });
});

/** One side of a name changed: [file, text found there, its replacement, the problem expected]. */
const DRIFTS: [keyof DeploymentFiles, string, string, RegExp][] = [
  [
    'bicep',
    "name: stateContainerName\n  properties: { publicAccess: 'None' }",
    "name: 'state'\n  properties: { publicAccess: 'None' }",
    /AZURE_STORAGE_CONTAINER "runtime-bot-state" is not a container/,
  ],
  [
    'bicep',
    'AZURE_STORAGE_CONTAINER: stateContainerName',
    "AZURE_STORAGE_CONTAINER: 'state'",
    /AZURE_STORAGE_CONTAINER "state" is not a container/,
  ],
  [
    'bicep',
    "RUNTIME_SERVICE_URL: 'https://${serviceApp.properties.defaultHostName}'",
    "RUNTIME_SERVICE_URL: 'https://${resourceBaseName}-service.azurewebsites.net'",
    /RUNTIME_SERVICE_URL .* is not the app that runs the service/,
  ],
  [
    'bicep',
    'AZURE_CLIENT_ID: identity.properties.clientId',
    'AZURE_CLIENT_ID: identity.properties.principalId',
    /AZURE_CLIENT_ID is not the client id of the bot's identity/,
  ],
  [
    'bicep',
    'msaAppId: identity.properties.clientId',
    "msaAppId: '3c5d7e9f-1a2b-4c3d-8e4f-5a6b7c8d9e0f'",
    /msaAppId is not the bot's MicrosoftAppId/,
  ],
  [
    'bicep',
    "endpoint: 'https://${botApp.properties.defaultHostName}/api/messages'",
    "endpoint: 'https://${serviceApp.properties.defaultHostName}/api/messages'",
    /endpoint .* is not the bot app's \/api\/messages/,
  ],
  ['bicep', 'LOG_LEVEL: logLevel', 'LOGLEVEL: logLevel', /LOGLEVEL is not a setting src\/config\.ts knows/],
  ['bicep', '  POLICY_FILE: policyFile\n', '', /POLICY_FILE is required in production/],
  ['bicep', 'allowSharedKeyAccess: false', 'allowSharedKeyAccess: true', /allows shared keys/],
  [
    'bicep',
    "appCommandLine: 'npm run service:prod'",
    "appCommandLine: 'npm run service'",
    /no App Service app runs "npm run service:prod"/,
  ],
  ['bicep', "healthCheckPath: '/readyz'", "healthCheckPath: '/health'", /health check path is "\/health"/],
  [
    'bicep',
    'workspaceName: azureMlWorkspace',
    "workspaceName: 'another-workspace'",
    /workspace is not the service's AZUREML_WORKSPACE/,
  ],
  ['bicep', 'RUNTIME_SERVICE_PORT: containerPort', "RUNTIME_SERVICE_PORT: '3979'", /forwards to WEBSITES_PORT/],
  ['bicep', 'scope: stateContainer\n', 'scope: vault\n', /no Storage Blob Data Contributor role/],
  [
    'azureMlRole',
    "var azureMlDataScientist = 'f6c7c914-8db3-469d-8ca1-694a8f32e121'",
    "var azureMlDataScientist = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'",
    /no AzureML Data Scientist role/,
  ],
  [
    'parameters',
    '${{AZUREML_WORKSPACE}}',
    '${{AZUREML_WORKSPACE_NAME}}',
    /uses \$\{\{AZUREML_WORKSPACE_NAME\}\}, which .*does not define/,
  ],
  ['parameters', '"${{ALLOWED_TENANT_IDS}}"', '""', /allowedTenantIds gets "", which breaks its @minLength\(36\)/],
  ['envDev', 'AZUREML_RESOURCE_GROUP=', 'AZUREML_RG=', /uses \$\{\{AZUREML_RESOURCE_GROUP\}\}/],
  [
    'toolkit',
    'resourceId: ${{BOT_AZURE_APP_SERVICE_RESOURCE_ID}}',
    'resourceId: ${{SERVICE_AZURE_APP_SERVICE_RESOURCE_ID}}',
    /deploys no zip to the bot app/,
  ],
  [
    'toolkit',
    '--target-path /home/site/policy/policy.yaml',
    '--target-path /home/site/policy.yaml',
    /uploads the policy to \/home\/site\/policy\.yaml/,
  ],
  [
    'toolkit',
    'artifactFolder: ./build/deploy\n      resourceId: ${{SERVICE',
    'artifactFolder: .\n      resourceId: ${{SERVICE',
    /deploys \. to the service, not the staged/,
  ],
  [
    'toolkitLocal',
    'MicrosoftAppType: SingleTenant',
    'MicrosoftAppType: MultiTenant',
    /local: MicrosoftAppType must be SingleTenant or UserAssignedMSI/,
  ],
  [
    'toolkitLocal',
    'MicrosoftAppPassword: ${{SECRET_BOT_PASSWORD}}',
    'MicrosoftAppPassword: ${{SECRET_BOT_PASSWD}}',
    /uses \$\{\{SECRET_BOT_PASSWD\}\}, which nothing defines/,
  ],
  [
    'packageJson',
    '"start:prod": "node --no-deprecation dist/src/index.js"',
    '"start:prod": "tsx src/index.ts"',
    /"start:prod" must run node/,
  ],
  ['dockerfile', 'USER node', 'USER root', /non-root USER/],
  ['dockerfile', 'COPY catalogue ./catalogue\n', '', /does not copy catalogue/],
  ['botServer', "server.get('/readyz'", "server.get('/ready'", /the bot does not serve \/readyz/],
];

describe('deployment settings check, with one side of a name changed', () => {
  const baseline = new Set(check());

  it.each(DRIFTS)('should catch a change in %s: %s', (file, from, to, expected) => {
    expect(FILES[file]).toContain(from);
    const changed = check({ ...FILES, [file]: FILES[file].replace(from, to) });
    const added = changed.filter((p) => !baseline.has(p));
    expect(
      added.some((p) => expected.test(p)),
      `new problems:\n${added.join('\n')}`,
    ).toBe(true);
  });

  it('should name the file of every drift it is given', () => {
    expect(Object.keys(DEPLOYMENT_FILES)).toEqual(expect.arrayContaining([...new Set(DRIFTS.map(([file]) => file))]));
  });
});
