/**
 * A loopback registry that serves only `GET /v2/<name>/tags/list` the way the OCI distribution spec
 * describes it and distribution 2.8 does not: lexical order, `n` and `last`, and a relative
 * `Link: <…>; rel="next"` header while more tags remain. Tests inject failures (429 with
 * Retry-After, 503, 401, hangs) and broken pagination (a Link loop, an endless list).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** One answer to send instead of the normal one; `hang` never answers (for timeouts). */
export type InjectedAnswer = { status: number; headers?: Record<string, string>; body?: string } | { hang: true };

export interface OciTestRegistry {
  url: string;
  repository: string;
  tags: string[];
  /** Every request path with its query, in order. */
  requests: string[];
  /** When each request arrived (epoch ms), in the same order. */
  times: number[];
  /** Answers used before the normal ones, one per request. */
  inject: InjectedAnswer[];
  /** `loop`: every page links back to the first; `endless`: every page links to a new page. */
  pagination: 'spec' | 'loop' | 'endless' | 'absolute' | 'offsite';
  /** The page size used when the client sends no `n`. */
  defaultPageSize: number;
  close(): Promise<void>;
}

export async function startOciTestRegistry(repository = 'azureml/promptflow/promptflow-runtime-stable') {
  const hanging: ServerResponse[] = [];
  let base = '';
  let endlessPage = 0;
  const state = {
    repository,
    tags: [] as string[],
    requests: [] as string[],
    times: [] as number[],
    inject: [] as InjectedAnswer[],
    pagination: 'spec' as OciTestRegistry['pagination'],
    defaultPageSize: 100,
  };
  const server: Server = createServer((req, res) => answer(req, res));
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    state.requests.push(req.url ?? '');
    state.times.push(Date.now());
    const injected = state.inject.shift();
    if (injected && 'hang' in injected) return void hanging.push(res);
    if (injected) {
      res.writeHead(injected.status, { 'content-type': 'application/json', ...injected.headers });
      return void res.end(injected.body ?? JSON.stringify({ errors: [{ code: 'INJECTED', message: 'injected' }] }));
    }
    const url = new URL(req.url ?? '/', 'http://registry');
    if (req.method !== 'GET' || url.pathname !== `/v2/${state.repository}/tags/list`) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known' }] }));
    }
    const n = url.searchParams.has('n') ? Number(url.searchParams.get('n')) : state.defaultPageSize;
    const last = url.searchParams.get('last');
    const sorted = [...state.tags].sort();
    const after = last === null ? sorted : sorted.filter((t) => t > last);
    const page = after.slice(0, n);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const listPath = `/v2/${state.repository}/tags/list`;
    const more = n > 0 && after.length > page.length;
    if (state.pagination === 'loop' && more) headers.link = `<${listPath}?n=${n}>; rel="next"`;
    if (state.pagination === 'endless') headers.link = `<${listPath}?n=${n}&page=${++endlessPage}>; rel="next"`;
    if (more && state.pagination === 'spec') headers.link = `<${listPath}?n=${n}&last=${page.at(-1)}>; rel="next"`;
    if (more && state.pagination === 'absolute') {
      headers.link = `<${base}${listPath}?n=${n}&last=${page.at(-1)}>; rel="next"`;
    }
    if (more && state.pagination === 'offsite') headers.link = `<http://203.0.113.9${listPath}?n=${n}>; rel="next"`;
    res.writeHead(200, headers);
    res.end(JSON.stringify({ name: state.repository, tags: page }));
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  base = url;
  const registry = Object.assign(state, {
    url,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return registry satisfies OciTestRegistry;
}
