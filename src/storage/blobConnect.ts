/**
 * Opens STORAGE=blob: the SDK client (its retry policy tuned for answers within a chat turn), the
 * sign-in (connection string, or DefaultAzureCredential: managed identity in Azure), and the
 * container, created at start when it is missing.
 */
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient, type StoragePipelineOptions, type StorageRetryOptions } from '@azure/storage-blob';
import type { BlobStorageConfig } from '../config';
import { BlobStorage } from './blobStorage';

export interface BlobConnectOptions {
  /** Default: DefaultAzureCredential, for AZURE_STORAGE_ACCOUNT_URL. */
  credential?: TokenCredential;
  /** The SDK's retry policy; tests shorten the delays. */
  retry?: StorageRetryOptions;
  callTimeoutMs?: number;
  pageSize?: number;
}

/** Four tries 0, 0.2 and 0.6 s apart, each with a 5 s server-side timeout, within a 10 s call deadline. */
const RETRY: StorageRetryOptions = { maxTries: 4, retryDelayInMs: 200, maxRetryDelayInMs: 2000, tryTimeoutInMs: 5000 };

export async function connectBlobStorage(
  config: BlobStorageConfig,
  area: string,
  options: BlobConnectOptions = {},
): Promise<BlobStorage> {
  const pipeline: StoragePipelineOptions = { retryOptions: { ...RETRY, ...options.retry } };
  const service = serviceClient(config, pipeline, options.credential);
  const storage = new BlobStorage(service.getContainerClient(config.container), {
    area,
    describe: `blob storage at ${containerUrl(config)}, names under ${area}/`,
    ...(options.callTimeoutMs ? { callTimeoutMs: options.callTimeoutMs } : {}),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  });
  await storage.createContainer();
  return storage;
}

/** The container's address for banners and health checks: no key, no SAS. */
export function containerUrl(config: BlobStorageConfig): string {
  try {
    const url = new URL(serviceClient(config, {}).getContainerClient(config.container).url);
    return `${url.origin}${url.pathname}`;
  } catch {
    return `container ${config.container}`;
  }
}

function serviceClient(
  config: BlobStorageConfig,
  pipeline: StoragePipelineOptions,
  credential?: TokenCredential,
): BlobServiceClient {
  if (config.connectionString) {
    try {
      return BlobServiceClient.fromConnectionString(config.connectionString, pipeline);
    } catch {
      // The SDK's message may quote the string, and with it the account key.
      throw new Error('AZURE_STORAGE_CONNECTION_STRING is not a connection string the Azure Storage SDK accepts');
    }
  }
  if (!config.accountUrl)
    throw new Error('STORAGE=blob needs AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL');
  return new BlobServiceClient(
    config.accountUrl,
    credential ??
      new DefaultAzureCredential(
        config.managedIdentityClientId ? { managedIdentityClientId: config.managedIdentityClientId } : {},
      ),
    pipeline,
  );
}
