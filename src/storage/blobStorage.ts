/**
 * Storage on Azure Blob Storage, for replicas on any number of hosts. One blob per key, named
 * `<area>/<encoded key>` (blobNames.ts), holding the item as JSON; the blob's ETag is the eTag.
 *
 * - If-Match for conditional writes; `If-None-Match: *` for create-only writes. Azure answers
 *   409 BlobAlreadyExists to the latter and 412 ConditionNotMet to the former: both are an
 *   EtagConflictError. Every write carries a random `writeid` in the blob's metadata, so that a
 *   write whose first try landed but whose answer was lost (the SDK then retries and meets its
 *   own write) is recognised as done instead of being reported as a conflict. Left open: another
 *   writer replacing the blob between that retry and the check makes a landed write look like a
 *   conflict, and a caller that retries may then apply its change twice (it takes a lost answer
 *   and a rival writer within the same few hundred milliseconds).
 * - `list` lists one level of the name hierarchy (delimiter `/`) page by page.
 * - Retries are the SDK's own policy (network errors, 500, 503); each call also has a deadline
 *   over all its tries. What still fails for want of the service becomes StorageUnavailableError.
 * - At most `maxConcurrentCalls` calls are in flight; the others wait their turn before their
 *   deadline starts. A burst (100 creates at once is about 3,000 calls) then queues here instead of
 *   at the account, where calls would pass their deadlines and fail while the work still fits.
 */
import { randomUUID } from 'node:crypto';
import { type ContainerClient, RestError } from '@azure/storage-blob';
import { ConcurrencyLimit, QueueTimeoutError } from '../infra/concurrency';
import { blobName, blobPrefix, keyOf } from './blobNames';
import {
  checkKey,
  EtagConflictError,
  IF_NONE_MATCH,
  type Storage,
  type StoreItem,
  type StoreItems,
  StorageUnavailableError,
} from './storage';

/** What a client is told to wait after an outage: the SDK has already retried for about a second. */
const RETRY_AFTER_SECONDS = 5;

export interface BlobStorageOptions {
  /** Names start with `<area>/`, which keeps the bot's and the service's items apart. */
  area: string;
  /** Whole-call deadline over all of the SDK's tries. */
  callTimeoutMs?: number;
  /** Names per list page (Azure allows up to 5,000). */
  pageSize?: number;
  /** Blobs downloaded at once by one `read`. */
  readConcurrency?: number;
  /** Calls in flight at once from this process; more wait, up to three deadlines. */
  maxConcurrentCalls?: number;
  /** How health() names this store: container and account, never a credential. */
  describe: string;
}

export class BlobStorage implements Storage {
  private readonly area: string;
  private readonly callTimeoutMs: number;
  private readonly pageSize: number;
  private readonly readConcurrency: number;
  private readonly calls: ConcurrencyLimit;

  constructor(
    private readonly container: ContainerClient,
    private readonly options: BlobStorageOptions,
  ) {
    if (!/^[a-z][a-z0-9-]*$/.test(options.area)) throw new Error(`invalid storage area ${options.area}`);
    this.area = options.area;
    this.callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.pageSize = options.pageSize ?? 5000;
    this.readConcurrency = options.readConcurrency ?? 32;
    this.calls = new ConcurrencyLimit(options.maxConcurrentCalls ?? 32, 3 * this.callTimeoutMs);
  }

  async read(keys: string[]): Promise<StoreItems> {
    const names = keys.map((key) => this.nameOf(key));
    const out: StoreItems = {};
    await eachLimited(keys, this.readConcurrency, async (key, i) => {
      const item = await this.readOne(key, names[i]);
      if (item) out[key] = item;
    });
    return out;
  }

  async write(changes: StoreItems): Promise<void> {
    const names = Object.keys(changes).map((key) => this.nameOf(key));
    let i = 0;
    for (const [key, item] of Object.entries(changes)) {
      const { eTag, ...body } = item;
      await this.writeOne(key, names[i++], JSON.stringify(body), eTag);
    }
  }

  async delete(keys: string[]): Promise<void> {
    const names = keys.map((key) => this.nameOf(key));
    for (let i = 0; i < keys.length; i++) {
      const blob = this.container.getBlobClient(names[i]);
      await this.call(`delete ${keys[i]}`, (abortSignal) => blob.deleteIfExists({ abortSignal }));
    }
  }

  async list(prefix: string): Promise<string[]> {
    const cut = prefix.lastIndexOf('/');
    if (cut >= 0 && prefix.slice(0, cut).split('/').includes('')) return []; // no key has an empty segment
    const keys: string[] = [];
    let continuationToken: string | undefined;
    do {
      // One page per call, so that each page has its own deadline.
      const page = await this.call(`list ${prefix}`, async (abortSignal) => {
        const pages = this.container
          .listBlobsByHierarchy('/', { prefix: blobPrefix(this.area, prefix), abortSignal })
          .byPage({ maxPageSize: this.pageSize, ...(continuationToken ? { continuationToken } : {}) });
        return (await pages.next()).value;
      });
      for (const item of page?.segment.blobItems ?? []) {
        const key = keyOf(this.area, item.name);
        if (key?.startsWith(prefix) && !key.slice(prefix.length).includes('/')) keys.push(key);
      }
      continuationToken = page?.continuationToken || undefined;
    } while (continuationToken);
    return keys.sort();
  }

  /** Creates the container when it is missing. With a role on the container alone, finds it there. */
  async createContainer(): Promise<void> {
    try {
      await this.call('create container', (abortSignal) => this.container.createIfNotExists({ abortSignal }));
    } catch (error) {
      const refused = error instanceof StorageUnavailableError && (error.cause as RestError)?.statusCode === 403;
      if (!refused) throw error;
      await this.call('find container', (abortSignal) => this.container.getProperties({ abortSignal }));
    }
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    try {
      await this.call('health check', (abortSignal) => this.container.getProperties({ abortSignal }));
      return { ok: true, detail: this.options.describe };
    } catch (error) {
      return { ok: false, detail: `${this.options.describe}: ${(error as Error).message}` };
    }
  }

  private nameOf(key: string): string {
    checkKey(key);
    return blobName(this.area, key);
  }

  private async readOne(key: string, name: string): Promise<StoreItem | undefined> {
    const blob = this.container.getBlobClient(name);
    try {
      const { etag, text } = await this.call(`read ${key}`, async (abortSignal) => {
        const response = await blob.download(0, undefined, { abortSignal });
        return { etag: response.etag, text: await readAll(response.readableStreamBody) };
      });
      return { ...(JSON.parse(text) as StoreItem), eTag: unquote(etag) };
    } catch (error) {
      if (isCode(error, 404, 'BlobNotFound')) return undefined;
      throw error;
    }
  }

  private async writeOne(key: string, name: string, body: string, eTag: string | undefined): Promise<void> {
    const conditional = eTag !== undefined && eTag !== '*';
    // An eTag Azure could not have made cannot match; sending it would only earn a 400.
    if (conditional && eTag !== IF_NONE_MATCH && !/^[\x21\x23-\x7e]{1,200}$/.test(eTag))
      throw new EtagConflictError(key);
    const conditions = !conditional ? {} : eTag === IF_NONE_MATCH ? { ifNoneMatch: '*' } : { ifMatch: `"${eTag}"` };
    const blob = this.container.getBlockBlobClient(name);
    const content = Buffer.from(body, 'utf8');
    const writeid = randomUUID();
    try {
      await this.call(`write ${key}`, (abortSignal) =>
        blob.upload(content, content.length, {
          conditions,
          metadata: { writeid },
          blobHTTPHeaders: { blobContentType: 'application/json; charset=utf-8' },
          abortSignal,
        }),
      );
    } catch (error) {
      const lost =
        isCode(error, 409, 'BlobAlreadyExists') ||
        isCode(error, 412, 'ConditionNotMet') ||
        isCode(error, 404, 'BlobNotFound');
      if (!conditional || !lost) throw error;
      if (await this.landed(name, writeid)) return;
      throw new EtagConflictError(key);
    }
  }

  /** Whether the blob holds the write with this id: its first try landed and the answer was lost. */
  private async landed(name: string, writeid: string): Promise<boolean> {
    const blob = this.container.getBlobClient(name);
    try {
      const properties = await this.call('write check', (abortSignal) => blob.getProperties({ abortSignal }));
      return properties.metadata?.writeid === writeid;
    } catch (error) {
      if (isCode(error, 404, 'BlobNotFound')) return false;
      throw error;
    }
  }

  /**
   * Runs one SDK call under the deadline. A failure for want of the service (no answer, a network
   * error, 5xx, 408, 429, access refused, no container) becomes StorageUnavailableError with the
   * SDK's error as its cause; answers about the blob itself (404, 409, 412) pass through.
   */
  private async call<T>(what: string, fn: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await this.calls.run(() => this.callNow(what, fn));
    } catch (error) {
      if (!(error instanceof QueueTimeoutError)) throw error;
      throw new StorageUnavailableError(
        `${what}: blob storage is too busy (${error.waiting} calls waiting in this process)`,
        RETRY_AFTER_SECONDS,
        { cause: error },
      );
    }
  }

  private async callNow<T>(what: string, fn: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const deadline = AbortSignal.timeout(this.callTimeoutMs);
    try {
      return await fn(deadline);
    } catch (error) {
      if (deadline.aborted)
        throw new StorageUnavailableError(
          `${what}: no answer from blob storage within ${this.callTimeoutMs} ms`,
          RETRY_AFTER_SECONDS,
          { cause: error },
        );
      const outage = outageOf(error);
      if (outage) throw new StorageUnavailableError(`${what}: ${outage}`, RETRY_AFTER_SECONDS, { cause: error });
      throw error;
    }
  }
}

function isCode(error: unknown, status: number, code: string): boolean {
  return error instanceof RestError && error.statusCode === status && errorCode(error) === code;
}

/** Azure's error code: in the body's XML, or only in a header for a HEAD request (no body). */
function errorCode(error: RestError): string | undefined {
  const details = error.details as { errorCode?: unknown } | undefined;
  return error.code ?? (typeof details?.errorCode === 'string' ? details.errorCode : undefined);
}

/** Why the service could not serve the call, or undefined when the answer is about the request. */
function outageOf(error: unknown): string | undefined {
  if (!(error instanceof RestError)) {
    // A connection dropped while a body streamed in.
    const code = (error as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? `blob storage unreachable (${code})` : undefined;
  }
  const status = error.statusCode;
  if (status === undefined) return `blob storage unreachable (${error.code ?? 'network error'})`;
  const code = errorCode(error) ?? '';
  if (status === 401 || status === 403)
    return `blob storage refused access (${status} ${code}); the identity needs the Storage Blob Data Contributor role`;
  if (status === 404 && code === 'ContainerNotFound') return 'the blob container does not exist';
  if (status >= 500 || status === 408 || status === 429) return `blob storage answered ${status} ${code}`.trim();
  return undefined;
}

function unquote(etag: string | undefined): string {
  if (!etag) throw new Error('blob storage answered without an ETag');
  return etag.replace(/^"|"$/g, '');
}

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function eachLimited<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
