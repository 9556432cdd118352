/**
 * Recorded exchanges with the real service (test/fixtures/azureml/*.json), and a loopback server that replays them
 * to the provider. Each request must be the next recorded one: the same method and the same path once the
 * workspace prefix and the session id are set aside. It then gets the recorded status, headers and body as
 * recorded, with three changes only, the ones the real service would make for this caller: recorded absolute URLs
 * point at this server, at the caller's workspace, and at the caller's session id (and Node sets content-length). Any other request gets 404 and
 * is kept in `unrecorded`, so a test says exactly which calls the recording does not cover.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const FIXTURES = path.join(__dirname, '../../fixtures/azureml');
const WORKSPACE_PREFIX =
  /\/flow\/api\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/?]+/i;
const SESSION = /\/FlowSessions\/([^/?]+)/i;

export interface RecordedExchange {
  request: { method: string; uri: string; headers: Record<string, string>; body: string | null };
  response: { status: number; message: string; headers: Record<string, string>; body: string };
}

export interface Fixture {
  source: Record<string, unknown>;
  exchanges: RecordedExchange[];
}

export interface WorkspaceNames {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
}

export interface ReplayedRequest {
  method: string;
  /** Relative to the workspace, the session id as `{session}`: `/FlowSessions/{session}`. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: http.IncomingHttpHeaders;
  /** Which recorded exchange answered it; undefined when none did. */
  exchange?: number;
}

export function loadFixture(name: string): Fixture {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as Fixture;
}

/** A recorded URI as the replay compares it: workspace-relative, the session id set aside. */
export function relativePath(uri: string): { path: string; session?: string } {
  const { pathname } = new URL(uri, 'http://replay');
  const rest = pathname.replace(WORKSPACE_PREFIX, '');
  const session = SESSION.exec(rest)?.[1];
  return { path: rest.replace(SESSION, '/FlowSessions/{session}'), ...(session ? { session } : {}) };
}

export class ReplayServer {
  readonly requests: ReplayedRequest[] = [];
  private next = 0;
  private server?: http.Server;
  private base = '';

  constructor(
    readonly fixture: Fixture,
    readonly config: WorkspaceNames,
  ) {}

  async start(): Promise<string> {
    const server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.base;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Recorded exchanges not replayed yet. */
  get remaining(): number {
    return this.fixture.exchanges.length - this.next;
  }

  /** `METHOD path` of every request the recording does not cover. */
  get unrecorded(): string[] {
    return this.requests.filter((r) => r.exchange === undefined).map((r) => `${r.method} ${r.path}`);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', this.base);
      const { path: rel, session } = relativePath(url.href);
      const seen: ReplayedRequest = {
        method: req.method ?? 'GET',
        path: rel,
        query: Object.fromEntries(url.searchParams),
        body: raw ? JSON.parse(raw) : undefined,
        headers: req.headers,
      };
      this.requests.push(seen);
      const recorded = this.fixture.exchanges[this.next];
      if (!recorded || recorded.request.method !== seen.method || relativePath(recorded.request.uri).path !== rel) {
        res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
        res.end(
          JSON.stringify({ error: { code: 'UserError', message: `Not in the recording: ${seen.method} ${rel}` } }),
        );
        return;
      }
      seen.exchange = this.next++;
      // content-length is Node's to set: the recorder re-serialized JSON bodies after measuring them.
      const headers = Object.fromEntries(
        Object.entries(recorded.response.headers)
          .filter(([k]) => k.toLowerCase() !== 'content-length')
          .map(([k, v]) => [k, this.localize(v, session)]),
      );
      res.writeHead(recorded.response.status, recorded.response.message, headers);
      res.end(recorded.response.body);
    });
  }

  /** A recorded absolute URL, as the service would have written it for this caller. */
  private localize(value: string, session: string | undefined): string {
    if (!/^https?:\/\//.test(value)) return value;
    const url = new URL(value);
    const { subscriptionId, resourceGroup, workspace } = this.config;
    const prefix = `/flow/api/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspace}`;
    let pathname = url.pathname.replace(WORKSPACE_PREFIX, prefix);
    if (session) pathname = pathname.replace(SESSION, `/FlowSessions/${session}`);
    return `${this.base}${pathname}${url.search}`;
  }
}
