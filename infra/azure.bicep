// The prompt flow runtime bot on Azure: the bot and the shared runtime service on App Service (Linux,
// Node 20, the compiled start, two instances each, probed on /readyz), their state in one Blob
// container, their two secrets in Key Vault, and one user-assigned managed identity for everything:
// Bot Framework auth (UserAssignedMSI), Blob storage, Key Vault references and the Azure ML API.
// Deployed by the Microsoft 365 Agents Toolkit (m365agents.yml, arm/deploy) or by
// `az deployment group create` (README, "Deploy to Azure"). Every app setting below is a setting
// src/config.ts reads; test/deploy/settings.test.ts checks that, and that the names agree.

@minLength(4)
@maxLength(20)
@description('Prefix of every resource name; letters, digits and hyphens.')
param resourceBaseName string

@maxLength(42)
param botDisplayName string = 'Runtime Bot'

param location string = resourceGroup().location

@description('App Service plan SKU shared by the bot and the service (Linux). B1 and up run two instances.')
param appServiceSku string = 'P0v3'

@minValue(2)
@description('Instances of the plan: the bot and the service each run on every one of them.')
param instanceCount int = 2

@allowed(['F0', 'S1'])
param botServiceSku string = 'F0'

@description('The Blob container that holds the state of the bot and of the service.')
param stateContainerName string = 'runtime-bot-state'

// At least one tenant id: an empty value (an unset toolkit variable) must not open the bot to every tenant.
@minLength(36)
@description('Comma-separated Entra tenant ids allowed to use the bot; default: this tenant only.')
param allowedTenantIds string = tenant().tenantId

@description('Where the bot reads its approval policy: App Service\'s shared /home, uploaded at deploy time.')
param policyFile string = '/home/site/policy/policy.yaml'

@minLength(36)
param azureMlSubscriptionId string = subscription().subscriptionId
param azureMlResourceGroup string
param azureMlWorkspace string

@description('The workspace\'s discovery URL: az ml workspace show --query discovery_url')
param azureMlDiscoveryUrl string

@secure()
@description('Seals approval requests at rest: 32 bytes, base64 (openssl rand -base64 32). Keep it across upgrades.')
param secretsKey string

@secure()
@description('Bearer token between the bot and the runtime service (openssl rand -hex 32).')
param runtimeServiceToken string

@allowed(['debug', 'info', 'warn', 'error'])
param logLevel string = 'info'

var botAppName = '${resourceBaseName}-bot'
var serviceAppName = '${resourceBaseName}-runtimes'
var storageAccountName = '${take(toLower(replace(resourceBaseName, '-', '')), 16)}${take(uniqueString(resourceGroup().id), 8)}'
var keyVaultName = '${take(resourceBaseName, 17)}-${take(uniqueString(resourceGroup().id), 6)}'
// App Service routes HTTPS to this port in the container (WEBSITES_PORT); each process listens on it.
var containerPort = '8080'

// Built-in role definition ids.
var roles = {
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${resourceBaseName}-identity'
  location: location
}

// --- State: one container, identity-only access (no account keys, no public blobs) -----------------
resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    // A deleted or overwritten state blob can be brought back for a week.
    deleteRetentionPolicy: { enabled: true, days: 7 }
  }
}

resource stateContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: stateContainerName
  properties: { publicAccess: 'None' }
}

resource stateAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: stateContainer
  name: guid(stateContainer.id, identity.id, roles.storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// --- Secrets: read by App Service through Key Vault references, as the identity ---------------------
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: location
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
  }
}

resource secretsKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'secrets-key'
  properties: { value: secretsKey }
}

resource serviceTokenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'runtime-service-token'
  properties: { value: runtimeServiceToken }
}

resource secretsAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// --- Azure ML: the service manages the workspace's runtimes as the identity --------------------------
module azureMlAccess './modules/azureMlWorkspaceRole.bicep' = {
  name: 'azureml-data-scientist'
  scope: resourceGroup(azureMlSubscriptionId, azureMlResourceGroup)
  params: {
    workspaceName: azureMlWorkspace
    principalId: identity.properties.principalId
  }
}

// --- Compute: one Linux plan, the bot and the service on each of its instances ----------------------
resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${resourceBaseName}-plan'
  location: location
  kind: 'linux'
  sku: { name: appServiceSku, capacity: instanceCount }
  properties: { reserved: true }
}

// Settings both processes read. Replicas share nothing but storage (and these settings).
var sharedSettings = {
  STORAGE: 'blob'
  AZURE_STORAGE_ACCOUNT_URL: storage.properties.primaryEndpoints.blob
  AZURE_STORAGE_CONTAINER: stateContainerName
  AZURE_CLIENT_ID: identity.properties.clientId
  RUNTIME_SERVICE_TOKEN: '@Microsoft.KeyVault(SecretUri=${serviceTokenSecret.properties.secretUri})'
  LOG_LEVEL: logLevel
  WEBSITES_PORT: containerPort
  WEBSITE_RUN_FROM_PACKAGE: '1'
  SCM_DO_BUILD_DURING_DEPLOYMENT: 'false'
}

var botSettings = union(sharedSettings, {
  PORT: containerPort
  MicrosoftAppId: identity.properties.clientId
  MicrosoftAppType: 'UserAssignedMSI'
  MicrosoftAppTenantId: identity.properties.tenantId
  ALLOWED_TENANT_IDS: allowedTenantIds
  POLICY_FILE: policyFile
  // Approval requests are sealed with it; every bot replica must open what another one sealed.
  SECRETS_KEY: '@Microsoft.KeyVault(SecretUri=${secretsKeySecret.properties.secretUri})'
  RUNTIME_SERVICE_URL: 'https://${serviceApp.properties.defaultHostName}'
})

var serviceSettings = union(sharedSettings, {
  RUNTIME_SERVICE_PORT: containerPort
  RUNTIME_SERVICE_HOST: '0.0.0.0'
  RUNTIME_PROVIDER: 'azureml'
  AZUREML_SUBSCRIPTION_ID: azureMlSubscriptionId
  AZUREML_RESOURCE_GROUP: azureMlResourceGroup
  AZUREML_WORKSPACE: azureMlWorkspace
  AZUREML_DISCOVERY_URL: azureMlDiscoveryUrl
})

resource serviceApp 'Microsoft.Web/sites@2023-12-01' = {
  name: serviceAppName
  location: location
  kind: 'app,linux'
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identity.id}': {} } }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      linuxFxVersion: 'NODE|20-lts'
      appCommandLine: 'npm run service:prod'
      healthCheckPath: '/readyz'
      alwaysOn: true
      http20Enabled: true
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
  }
}

resource serviceAppSettings 'Microsoft.Web/sites/config@2023-12-01' = {
  parent: serviceApp
  name: 'appsettings'
  properties: serviceSettings
  dependsOn: [secretsAccess, stateAccess]
}

resource botApp 'Microsoft.Web/sites@2023-12-01' = {
  name: botAppName
  location: location
  kind: 'app,linux'
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identity.id}': {} } }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      linuxFxVersion: 'NODE|20-lts'
      appCommandLine: 'npm run start:prod'
      healthCheckPath: '/readyz'
      alwaysOn: true
      http20Enabled: true
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
  }
}

resource botAppSettings 'Microsoft.Web/sites/config@2023-12-01' = {
  parent: botApp
  name: 'appsettings'
  properties: botSettings
  dependsOn: [secretsAccess, stateAccess]
}

// --- The Azure Bot: the identity is the bot's app id; Teams is its channel --------------------------
resource botService 'Microsoft.BotService/botServices@2022-09-15' = {
  name: resourceBaseName
  location: 'global'
  kind: 'azurebot'
  sku: { name: botServiceSku }
  properties: {
    displayName: botDisplayName
    endpoint: 'https://${botApp.properties.defaultHostName}/api/messages'
    msaAppType: 'UserAssignedMSI'
    msaAppId: identity.properties.clientId
    msaAppMSIResourceId: identity.id
    msaAppTenantId: identity.properties.tenantId
  }
}

resource teamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: botService
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: { isEnabled: true }
  }
}

// Written to env/.env.<environment> by the Agents Toolkit; read by m365agents.yml and npm run package.
output BOT_ID string = identity.properties.clientId
output BOT_DOMAIN string = botApp.properties.defaultHostName
output BOT_APP_NAME string = botApp.name
output BOT_AZURE_APP_SERVICE_RESOURCE_ID string = botApp.id
output SERVICE_AZURE_APP_SERVICE_RESOURCE_ID string = serviceApp.id
output RUNTIME_SERVICE_URL string = 'https://${serviceApp.properties.defaultHostName}'
output AZURE_STORAGE_ACCOUNT_URL string = storage.properties.primaryEndpoints.blob
