/**
 * An HTTP proxy between the bot and the runtime service that loses answers: it forwards every
 * request, and for the first attempt of each change (PUT, PATCH or POST under /v1/runtimes, not a
 * validateOnly check) it throws the service's answer away and says 503 instead, as a gateway does
 * when the service answered too late. The change happened; the client cannot know. Only a retry
 * with the same Idempotency-Key can then get the first operation back instead of starting a
 * second one or being refused.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedCall {
  method: string;
  path: string;
  idempotencyKey?: string;
  /** What the service answered, and what the client got. */
  status: number;
  answered: number;
}

export class LossyProxy {
  readonly calls: ProxiedCall[] = [];
  /** While set, the answer to every attempt of a change is lost, not only the first. */
  loseEverything = false;
  private readonly lost = new Set<string>();
  private readonly server = http.createServer((req, res) => void this.forward(req, res));
  url = '';

  constructor(private readonly target: string) {}

  static async start(target: string): Promise<LossyProxy> {
    const proxy = new LossyProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', () => resolve()));
    proxy.url = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    return proxy;
  }

  /** The changes that went through, as the service saw them. */
  changes(): ProxiedCall[] {
    return this.calls.filter((c) => isChange(c.method, c.path));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k, v]) => typeof v === 'string' && !HOP_BY_HOP.has(k)),
    ) as Record<string, string>;
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const answer = await fetch(`${this.target}${path}`, {
      method,
      headers,
      ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
    });
    const body = Buffer.from(await answer.arrayBuffer());
    const key = headers['idempotency-key'];
    const lose = isChange(method, path) && (this.loseEverything || !this.lost.has(`${method} ${path} ${key}`));
    if (lose) this.lost.add(`${method} ${path} ${key}`);
    this.calls.push({
      method,
      path,
      ...(key ? { idempotencyKey: key } : {}),
      status: answer.status,
      answered: lose ? 503 : answer.status,
    });
    if (lose) {
      const problem = JSON.stringify({ title: 'Service unavailable', status: 503, detail: 'The gateway timed out.' });
      res.writeHead(503, { 'Content-Type': 'application/problem+json', 'Retry-After': '0' });
      res.end(problem);
      return;
    }
    res.writeHead(answer.status, Object.fromEntries([...answer.headers.entries()].filter(([k]) => !HOP_BY_HOP.has(k))));
    res.end(body);
  }
}

function isChange(method: string, path: string): boolean {
  return (
    ['PUT', 'PATCH', 'POST'].includes(method) && path.startsWith('/v1/runtimes/') && !path.includes('validateOnly')
  );
}

const HOP_BY_HOP = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-encoding',
  'content-length',
]);
