/**
 * A loopback Application Insights ingestion endpoint (the `IngestionEndpoint` of a connection
 * string), as the Azure Monitor exporter talks to it: HTTPS only (the exporter rewrites http:// to
 * https://), POST /v2.1/track with a JSON array of telemetry envelopes, gzip-encoded or not, answered
 * with the service's track response `{ itemsReceived, itemsAccepted, errors: [] }`. Live Metrics
 * pings (`/QuickPulseService.svc/…`, when the connection string's LiveEndpoint points here) are
 * answered "not subscribed", so the exporter keeps quiet. Anything else gets 404.
 *
 * It serves the tests' self-signed certificate (azureml/certificate.ts): the process that exports
 * must trust it through NODE_EXTRA_CA_CERTS, so the exporting product runs as a child process.
 */
import { once } from 'node:events';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { ensureTestCertificate } from './azureml/certificate';

export interface Envelope {
  name: string;
  iKey?: string;
  tags?: Record<string, string>;
  data?: { baseType?: string; baseData?: Record<string, any> };
}

export class AppInsightsIngestion {
  readonly envelopes: Envelope[] = [];
  readonly unknown: string[] = [];
  /** The certificate to trust (NODE_EXTRA_CA_CERTS=certPath). */
  readonly certPath: string;
  private readonly server: https.Server;

  constructor() {
    const { cert, key, certPath } = ensureTestCertificate();
    this.certPath = certPath;
    this.server = https.createServer({ cert, key }, (req, res) => void this.handle(req, res));
  }

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? '').split('?')[0];
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (path.startsWith('/QuickPulseService.svc/')) return answer(200, {}, { 'x-ms-qps-subscribed': 'false' });
    if (req.method !== 'POST' || !/^\/v2(\.1)?\/track$/.test(path)) {
      this.unknown.push(`${req.method} ${path}`);
      return answer(404, { error: 'not found' });
    }
    const raw = Buffer.concat(chunks);
    const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
    const items = JSON.parse(text) as Envelope[];
    this.envelopes.push(...items);
    answer(200, { itemsReceived: items.length, itemsAccepted: items.length, errors: [] });
  }

  /** Request and dependency telemetry: what the exporter made of server and client spans. */
  operations(): { type: string; name: string; operationId?: string; id?: string; parentId?: string }[] {
    return this.envelopes
      .filter((e) => e.data?.baseType === 'RequestData' || e.data?.baseType === 'RemoteDependencyData')
      .map((e) => ({
        type: e.data!.baseType!,
        name: String(e.data!.baseData!.name),
        operationId: e.tags?.['ai.operation.id'],
        id: e.data!.baseData!.id,
        parentId: e.tags?.['ai.operation.parentId'],
      }));
  }
}
