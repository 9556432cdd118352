/**
 * The loopback HTTP plumbing the sections share: a keep-alive client that times each request, a
 * closed-loop driver with a fixed number in flight, free ports, and the bare restify baseline.
 */
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import restify from 'restify';

export interface Answer {
  status: number;
  body: string;
  ms: number;
}

export class Client {
  private readonly agent: http.Agent;

  constructor(maxSockets = 8) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  request(
    method: string,
    url: string,
    body?: unknown,
    timeoutMs = 30_000,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request(
        url,
        {
          method,
          agent: this.agent,
          timeout: timeoutMs,
          headers: {
            ...headers,
            ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              ms: performance.now() - started,
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface LoopResult {
  latencies: number[];
  completed: number;
  failed: number;
  seconds: number;
}

/** Keeps `concurrency` calls in flight for `durationMs`; each call resolves with its latency in ms. */
export async function closedLoop(
  concurrency: number,
  durationMs: number,
  call: () => Promise<number>,
): Promise<LoopResult> {
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      try {
        latencies.push(await call());
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, completed: latencies.length, failed, seconds: (performance.now() - started) / 1000 };
}

/** A port nobody listens on right now (the OS picks it; there is a small race, as for any such helper). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The floor of the stack: restify with the bot's body parser, answering 200 JSON at once. */
export function bareRestify(): restify.Server {
  const server = restify.createServer({ name: 'bare', handleUncaughtExceptions: false });
  server.use(restify.plugins.bodyParser({ maxBodySize: 1024 * 1024, mapParams: false }));
  const ok = async (_req: restify.Request, res: restify.Response) => {
    res.send(200, { ok: true });
  };
  server.post('/api/messages', ok);
  server.get('/v1/runtimes', ok);
  server.get('/v1/runtimes/:name', ok);
  return server;
}

export async function listen(server: restify.Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${server.address().port}`;
}

/** Polls a URL until it answers 200. */
export async function waitFor200(url: string, timeoutMs = 60_000, everyMs = 10): Promise<void> {
  const started = performance.now();
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get(url, { timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
    });
    if (ok) return;
    if (performance.now() - started > timeoutMs) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
