/**
 * The smallest loopback Bot Connector that botbuilder accepts: it reads each reply, parses it as
 * Teams would, answers 201 with an id, and keeps only counts (the test helper keeps every call,
 * which would grow without bound over thousands of turns).
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class CountingConnector {
  private server?: http.Server;
  private counter = 0;
  replies = 0;
  cards = 0;
  bytes = 0;
  /** The last card sent, to check that the bench measures what it claims to. */
  lastCard?: unknown;
  url = '';

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.method !== 'POST' || !/^\/v3\/conversations\/[^/]+\/activities/.test(req.url ?? '')) {
          res.writeHead(404, { 'Content-Type': 'application/json' });
          res.end('{"error":{"code":"NotFound","message":"unknown route"}}');
          return;
        }
        const activity = JSON.parse(body.toString('utf8')) as { attachments?: { content: unknown }[] };
        this.replies++;
        this.bytes += body.length;
        if (activity.attachments?.length) {
          this.cards++;
          this.lastCard = activity.attachments[0].content;
        }
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ id: `msg-${++this.counter}` }));
      });
    });
    this.server.keepAliveTimeout = 30_000;
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}
