/**
 * Lists every tag of a repository in an OCI distribution registry (`GET /v2/<name>/tags/list`).
 * The spec lets a registry paginate with `n` and a `Link: <…>; rel="next"` header whose URL may be
 * relative, so the client follows Link and refuses loops, other origins and absurd page counts.
 * No auth: the public registries it reads (MCR) are anonymous. Every request has a timeout.
 */
import { parseRetryAfter } from '../../infra/retry';

export interface OciTagsOptions {
  /** Base URL of the registry, e.g. https://mcr.microsoft.com */
  registryUrl: string;
  /** Repository inside the registry, e.g. azureml/promptflow/promptflow-runtime-stable */
  repository: string;
  /** The `n` asked for on the first page. */
  pageSize?: number;
  /** More pages than this is treated as a broken registry. */
  maxPages?: number;
  timeoutMs?: number;
  /** Cancels the whole listing (the service is stopping). */
  signal?: AbortSignal;
  /** Reference time for Retry-After given as an HTTP date. */
  now?: () => number;
  fetch?: typeof fetch;
}

/** Why a listing failed; `retryable` is true for 408, 429, 5xx, timeouts and network errors. */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    /** From Retry-After, in ms from now. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

const MAX_BODY_CHARS = 8 * 1024 * 1024;

/** All tags, in the registry's order (which is not version order), without duplicates. */
export async function listOciTags(options: OciTagsOptions): Promise<string[]> {
  const base = new URL(options.registryUrl.replace(/\/+$/, '') + '/');
  const first = new URL(`v2/${options.repository}/tags/list`, base);
  first.searchParams.set('n', String(options.pageSize ?? 1000));
  const maxPages = options.maxPages ?? 100;
  const seen = new Set<string>();
  const tags = new Set<string>();
  let next: URL | undefined = first;
  while (next) {
    if (seen.has(next.href)) throw new RegistryError(`the registry's Link pagination loops (${path(next)})`, false);
    if (seen.size >= maxPages) throw new RegistryError(`the registry returned more than ${maxPages} pages`, false);
    seen.add(next.href);
    const page = await fetchPage(next, options);
    for (const tag of page.tags) tags.add(tag);
    next = page.next ? resolveNext(page.next, next, base) : undefined;
  }
  return [...tags];
}

async function fetchPage(url: URL, options: OciTagsOptions): Promise<{ tags: string[]; next?: string }> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
  let response: Response;
  let text: string;
  try {
    response = await (options.fetch ?? fetch)(url, {
      headers: { accept: 'application/json' },
      redirect: 'follow',
      signal: AbortSignal.any(signals),
    });
    text = await response.text();
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError') throw new RegistryError(`no answer from the registry within ${timeoutMs} ms`, true);
    if (name === 'AbortError') throw new RegistryError('the listing was cancelled', false);
    throw new RegistryError(`cannot reach the registry: ${describeNetworkError(error)}`, true);
  }
  if (response.status !== 200) throw statusError(response, text, options.now ?? Date.now);
  if (text.length > MAX_BODY_CHARS) throw new RegistryError('the tags list is too large', false);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RegistryError('the registry answered with something that is not JSON', false, 200);
  }
  // An empty repository may say `"tags": null`.
  const tags = typeof body === 'object' && body !== null ? ((body as { tags?: unknown }).tags ?? []) : undefined;
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) {
    throw new RegistryError('the registry answered without a list of tags', false, 200);
  }
  const next = nextLink(response.headers.get('link'));
  return { tags: tags as string[], ...(next ? { next } : {}) };
}

function statusError(response: Response, text: string, now: () => number): RegistryError {
  const status = response.status;
  const code = registryErrorCode(text);
  const what = code ? `${status} ${code}` : String(status);
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now());
  const retryable = status === 408 || status === 429 || status >= 500;
  const hint =
    status === 401 || status === 403
      ? ': the registry wants credentials, and the watcher reads anonymously only'
      : status === 404
        ? ': no such repository (check IMAGE_REGISTRY_REPOSITORY)'
        : status === 429
          ? ': rate limited'
          : '';
  return new RegistryError(`the registry answered ${what}${hint}`, retryable, status, retryAfterMs);
}

/** The target of the `rel="next"` link of an RFC 5988 / 8288 Link header. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const match of header.matchAll(/<([^>]*)>([^,<]*)/g)) {
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(match[2]);
    const values = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (values.includes('next')) return match[1].trim();
  }
  return undefined;
}

/** Relative links resolve against the page that sent them; a link off the registry is refused. */
function resolveNext(link: string, current: URL, base: URL): URL {
  let url: URL;
  try {
    url = new URL(link, current);
  } catch {
    throw new RegistryError('the registry sent a Link header that is not a URL', false);
  }
  if (url.origin !== base.origin) {
    throw new RegistryError(`the registry's next page is on another host (${url.host}); not following it`, false);
  }
  return url;
}

function registryErrorCode(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { errors?: { code?: unknown }[] })?.errors?.[0]?.code;
    return typeof code === 'string' ? code.slice(0, 40) : undefined;
  } catch {
    return undefined;
  }
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return String(cause?.code ?? cause?.message ?? (error as Error).message).slice(0, 200);
}

const path = (url: URL) => `${url.pathname}${url.search}`.slice(0, 200);
