/**
 * How long an idle keep-alive connection stays open. Node closes one after 5 s, while the clients
 * that call us (the Bot Connector, the Agents Playground, load balancers, the bot's own client)
 * keep theirs longer and send on it again: a request written as the server closes the socket is
 * reset, and the sender may not retry (the Playground drops the message). Waiting longer than the
 * clients do lets them close first; behind a load balancer with a longer idle timeout, raise this.
 */
import type { Server } from 'node:http';

export const KEEP_ALIVE_MS = 75_000;

export function keepConnectionsAlive(server: Server): void {
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  // Node's rule: the headers timeout must outlast the keep-alive timeout, or a slow request is cut.
  server.headersTimeout = KEEP_ALIVE_MS + 5_000;
}
