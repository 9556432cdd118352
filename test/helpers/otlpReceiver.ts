/**
 * A loopback OTLP/HTTP receiver, as an OpenTelemetry Collector's `otlp` receiver answers on port
 * 4318 (OTLP specification, "OTLP/HTTP"): POST /v1/traces and /v1/metrics with a JSON body
 * (`application/json`, protobuf JSON mapping with hex ids), 200 with an empty response message.
 * Anything else is refused as the Collector refuses it: 404 for another path, 405 for another
 * method, 415 for another content type, 400 for a body that is not JSON.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
export interface OtlpAttribute {
  key: string;
  value: AnyValue;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
  links?: { traceId: string; spanId: string }[];
}

export interface ReceivedSpan extends OtlpSpan {
  service: string;
  scope: string;
}

export class OtlpReceiver {
  readonly traces: unknown[] = [];
  readonly metrics: unknown[] = [];
  readonly refused: { path: string; status: number }[] = [];
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Every span received, with its resource's service.name and its scope. */
  spans(): ReceivedSpan[] {
    return (this.traces as { resourceSpans: any[] }[]).flatMap((body) =>
      body.resourceSpans.flatMap((rs) =>
        rs.scopeSpans.flatMap((ss: { scope: { name: string }; spans: OtlpSpan[] }) =>
          ss.spans.map((span) => ({ ...span, service: serviceOf(rs.resource), scope: ss.scope.name })),
        ),
      ),
    );
  }

  /** The names of every metric received. */
  metricNames(): string[] {
    return (this.metrics as { resourceMetrics: any[] }[]).flatMap((body) =>
      body.resourceMetrics.flatMap((rm) =>
        rm.scopeMetrics.flatMap((sm: { metrics: { name: string }[] }) => sm.metrics.map((m) => m.name)),
      ),
    );
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? '').split('?')[0];
    const store = path === '/v1/traces' ? this.traces : path === '/v1/metrics' ? this.metrics : undefined;
    const refuse = (status: number) => {
      this.refused.push({ path, status });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end('{}');
    };
    if (!store) return refuse(404);
    if (req.method !== 'POST') return refuse(405);
    if (!String(req.headers['content-type']).startsWith('application/json')) return refuse(415);
    try {
      store.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch {
      return refuse(400);
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{}');
  }
}

function serviceOf(resource: { attributes?: OtlpAttribute[] } | undefined): string {
  return resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
}
