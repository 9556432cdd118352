/**
 * A loopback Bot Connector: answers the REST calls botbuilder makes to a channel's serviceUrl
 * (replies, proactive sends, updates) like the real one, and records them for assertions.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: 'POST' | 'PUT';
  conversationId: string;
  /** The activity replied to (POST) or replaced (PUT). */
  activityId?: string;
  /** The id the connector gave the activity (POST) or the id updated (PUT). */
  id: string;
  /** The Authorization header the bot sent (none when its authentication is off). */
  authorization?: string;
  activity: {
    type: string;
    text?: string;
    attachments?: { contentType: string; content: unknown }[];
    [k: string]: unknown;
  };
}

export class LoopbackConnector {
  readonly calls: RecordedCall[] = [];
  private server?: http.Server;
  private counter = 0;
  url = '';

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  /** Texts of messages sent to a conversation (replies and proactive), in order. */
  sent(conversationId?: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === 'POST' && (!conversationId || c.conversationId === conversationId));
  }

  updates(activityId?: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === 'PUT' && (!activityId || c.id === activityId));
  }

  /** The latest text shown for a message: its last update, or what was sent. */
  latestText(activityId: string): string | undefined {
    const update = this.updates(activityId).at(-1);
    return (update ?? this.calls.find((c) => c.id === activityId))?.activity.text;
  }

  async waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const start = Date.now();
    while (!predicate()) {
      if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for the connector');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const match = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/?]+))?/.exec(req.url ?? '');
      if (!match || (req.method !== 'POST' && req.method !== 'PUT')) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'NotFound', message: 'unknown route' } }));
        return;
      }
      let activity: RecordedCall['activity'];
      try {
        activity = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400);
        res.end();
        return;
      }
      const conversationId = decodeURIComponent(match[1]);
      const activityId = match[2] ? decodeURIComponent(match[2]) : undefined;
      const id = req.method === 'PUT' ? activityId! : `msg-${++this.counter}`;
      const authorization = req.headers.authorization;
      this.calls.push({
        method: req.method as 'POST' | 'PUT',
        conversationId,
        activityId,
        id,
        activity,
        ...(authorization ? { authorization } : {}),
      });
      res.writeHead(req.method === 'PUT' ? 200 : 201, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ id }));
    });
  }
}
