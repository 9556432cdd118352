// AzureML Data Scientist on the workspace for the runtime service's identity: it lists, creates,
// changes and deletes the workspace's prompt flow runtimes and compute sessions. Deployed at the
// workspace's resource group, which may be another one (or another subscription) than the bot's.

param workspaceName string
param principalId string

// Built-in role "AzureML Data Scientist".
var azureMlDataScientist = 'f6c7c914-8db3-469d-8ca1-694a8f32e121'

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-04-01' existing = {
  name: workspaceName
}

resource workspaceAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: workspace
  name: guid(workspace.id, principalId, azureMlDataScientist)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', azureMlDataScientist)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
