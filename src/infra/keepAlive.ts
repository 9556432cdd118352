/**
 * How long an idle keep-alive connection stays open. Node closes one after 5 s, while a client that
 * keeps connections (Node's agent does by default, as do proxies) may send on it again after a
 * pause: a request written as the server closes the socket is
 * reset, and the sender may not retry. Waiting longer than the clients do lets them close first.
 */
import type { Server } from 'node:http';

export const KEEP_ALIVE_MS = 75_000;

export function keepConnectionsAlive(server: Server): void {
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  // Node's rule: the headers timeout must outlast the keep-alive timeout, or a slow request is cut.
  server.headersTimeout = KEEP_ALIVE_MS + 5_000;
}
