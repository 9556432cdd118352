/**
 * One replica's network path to its storage account, on loopback: an HTTP forwarder in front of
 * Azurite that passes every request through unchanged (Shared Key signatures do not cover the
 * host, so they stay valid) and can be cut just after a chosen request has landed, as a host that
 * freezes or loses its network mid-step would be: the write is stored, the replica never hears
 * back, and nothing it sends afterwards arrives. A test uses it to catch a replica at a known point,
 * holding a lease, and then `kill -9` it.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GatedRequest {
  method: string;
  /** Path and query, as sent (blob names percent-encoded). */
  path: string;
  body: string;
}

export interface StorageGate {
  /** Where the replica reaches storage: this replaces the account's host and port. */
  url: string;
  /**
   * Cuts the path after the first request that `match` accepts and storage answers with a 2xx;
   * resolves with that request. Later requests, and the answer to that one, are held unanswered.
   */
  cutAfter(match: (request: GatedRequest) => boolean): Promise<GatedRequest>;
  close(): Promise<void>;
}

export async function startStorageGate(target: string): Promise<StorageGate> {
  const upstream = new URL(target);
  const held: http.ServerResponse[] = [];
  const agent = new http.Agent({ keepAlive: true });
  let cut = false;
  let trigger: { match: (r: GatedRequest) => boolean; resolve: (r: GatedRequest) => void } | undefined;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (cut) return void held.push(res);
      const body = Buffer.concat(chunks);
      const request: GatedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', body: body.toString('utf8') };
      const watched = trigger?.match(request) ? trigger : undefined;
      const forward = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: request.method,
          path: request.path,
          headers: req.headers,
          agent,
        },
        (answer) => {
          const landed = watched !== undefined && answer.statusCode! >= 200 && answer.statusCode! < 300;
          if (landed) {
            cut = true;
            trigger = undefined;
          }
          if (cut) {
            // Nothing reaches the replica after the cut, not even answers to what it sent before.
            answer.resume();
            held.push(res);
            if (landed) watched.resolve(request);
            return;
          }
          res.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    cutAfter(match) {
      return new Promise((resolve) => (trigger = { match, resolve }));
    },
    async close() {
      for (const res of held.splice(0)) res.destroy();
      server.closeAllConnections();
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
