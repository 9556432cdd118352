/** The runtime service's sources of truth: the image registry it watches, and the Azure ML workspace it manages. */
import type { EnvReader } from './reader';
import type { AzureMlConfig, RegistryConfig } from './types';

/** IMAGE_REGISTRY_*: in azureml mode the public Microsoft registry by default; in local mode only when configured. */
export function registry(env: EnvReader, provider: 'local' | 'azureml'): { registry?: RegistryConfig } {
  const url = env.str('IMAGE_REGISTRY_URL') ?? (provider === 'azureml' ? 'https://mcr.microsoft.com' : undefined);
  const pollSeconds = env.int('IMAGE_REGISTRY_POLL_SECONDS', 300, 5, 24 * 3600);
  if (!url || url.toLowerCase() === 'none') return {};
  if (!/^https?:\/\/[^\s/]+/i.test(url)) {
    env.problems.push(`IMAGE_REGISTRY_URL must be an http(s) URL (got "${url}")`);
    return {};
  }
  const repository = (env.str('IMAGE_REGISTRY_REPOSITORY') ?? 'azureml/promptflow/promptflow-runtime-stable').replace(
    /^\/+|\/+$/g,
    '',
  );
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repository))
    env.problems.push(
      `IMAGE_REGISTRY_REPOSITORY must be a repository name like azureml/promptflow/promptflow-runtime-stable (got "${repository}")`,
    );
  return { registry: { url: url.replace(/\/+$/, ''), repository, pollSeconds } };
}

/** RUNTIME_PROVIDER=azureml needs the workspace and where its API is; every problem is listed. */
export function azureml(env: EnvReader, identity: { managedIdentityClientId?: string }): { azureml: AzureMlConfig } {
  const required = (name: string) => {
    const v = env.str(name);
    if (!v) env.problems.push(`${name} is required when RUNTIME_PROVIDER=azureml`);
    return v ?? '';
  };
  const subscriptionId = required('AZUREML_SUBSCRIPTION_ID');
  if (subscriptionId && !/^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(subscriptionId))
    env.problems.push(`AZUREML_SUBSCRIPTION_ID must be a subscription id (a GUID) (got "${subscriptionId}")`);
  const resourceGroup = required('AZUREML_RESOURCE_GROUP');
  const workspace = required('AZUREML_WORKSPACE');
  if (!env.str('AZUREML_API_URL') && !env.str('AZUREML_DISCOVERY_URL'))
    env.problems.push(
      'AZUREML_DISCOVERY_URL (az ml workspace show --query discovery_url) or AZUREML_API_URL is required when RUNTIME_PROVIDER=azureml',
    );
  const discovery = env.httpsUrl('AZUREML_DISCOVERY_URL');
  let apiUrl = env.httpsUrl('AZUREML_API_URL')?.href;
  if (!apiUrl && discovery) {
    // As the Azure ML SDK does: the API host is the discovery URL cut at "discovery".
    const at = discovery.href.toLowerCase().lastIndexOf('/discovery');
    if (at > 0) apiUrl = discovery.href.slice(0, at);
    else env.problems.push(`AZUREML_DISCOVERY_URL must end in /discovery (got "${discovery.href}")`);
  }
  const authorityHost = env.httpsUrl('AZURE_AUTHORITY_HOST');
  return {
    azureml: {
      subscriptionId,
      resourceGroup,
      workspace,
      apiUrl: (apiUrl ?? '').replace(/\/+$/, ''),
      ...(authorityHost ? { authorityHost: authorityHost.href.replace(/\/+$/, '') } : {}),
      ...identity,
      armScope: env.str('AZUREML_ARM_SCOPE') ?? 'https://management.azure.com/.default',
      amlScope: env.str('AZUREML_AML_SCOPE') ?? 'https://ml.azure.com/.default',
      requestTimeoutSeconds: env.int('AZUREML_REQUEST_TIMEOUT_SECONDS', 30, 1, 300),
      operationTimeoutMinutes: env.int('AZUREML_OPERATION_TIMEOUT_MINUTES', 30, 1, 24 * 60),
      syncSeconds: env.int('AZUREML_SYNC_SECONDS', 60, 5, 24 * 3600),
    },
  };
}
