/** STORAGE=blob: where the container is and how to sign in; every problem is listed. */
import { type EnvReader, isLoopback } from './reader';
import type { BlobStorageConfig } from './types';

export function blobStorage(env: EnvReader, identity: { managedIdentityClientId?: string }): BlobStorageConfig {
  const connectionString = env.str('AZURE_STORAGE_CONNECTION_STRING');
  const rawUrl = env.str('AZURE_STORAGE_ACCOUNT_URL');
  if (!connectionString === !rawUrl)
    env.problems.push(
      'STORAGE=blob needs exactly one of AZURE_STORAGE_CONNECTION_STRING and AZURE_STORAGE_ACCOUNT_URL (with a managed identity)',
    );
  // Never quote a connection string back: it holds the account key.
  const lacking = connectionString && connectionStringProblem(connectionString);
  if (lacking)
    env.problems.push(
      `AZURE_STORAGE_CONNECTION_STRING is not a storage connection string the Azure SDK can use: ${lacking} (copy it from the portal's Access keys, or use UseDevelopmentStorage=true for Azurite)`,
    );
  const parsed = rawUrl && URL.canParse(rawUrl) ? new URL(rawUrl) : undefined;
  if (rawUrl && !(parsed?.protocol === 'https:' || (parsed?.protocol === 'http:' && isLoopback(parsed.hostname))))
    env.problems.push(`AZURE_STORAGE_ACCOUNT_URL must be an https URL like https://<account>.blob.core.windows.net`);
  else if (parsed && (parsed.search || parsed.username || parsed.password))
    env.problems.push(
      'AZURE_STORAGE_ACCOUNT_URL must not carry credentials; it signs in with DefaultAzureCredential (use AZURE_STORAGE_CONNECTION_STRING for a SAS)',
    );
  const container = env.str('AZURE_STORAGE_CONTAINER') ?? 'promptflow-runtime-bot';
  if (!/^(?=.{3,63}$)[a-z0-9]+(?:-[a-z0-9]+)*$/.test(container))
    env.problems.push(
      `AZURE_STORAGE_CONTAINER must be 3 to 63 lower-case letters, digits and single hyphens (got "${container.slice(0, 80)}")`,
    );
  return {
    ...(connectionString ? { connectionString } : {}),
    ...(parsed && !connectionString ? { accountUrl: parsed.href.replace(/\/+$/, ''), ...identity } : {}),
    container,
  };
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
