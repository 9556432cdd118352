/**
 * GET /v1/events: Server-Sent Events of runtime changes, operation results and new image versions.
 * Resumable: a client that reconnects with Last-Event-ID gets what it missed, from any replica,
 * because events come from the durable log; this process's own events wake the stream at once,
 * other replicas' events are found by polling the log. With `?after=<id>` the route answers one
 * JSON page instead, for workers that poll with their own durable cursor.
 */
import type { Request, Response } from 'restify';
import { badRequest } from '../../errors';
import { handle, query, type RouteRegistrar, type ServiceDeps } from '../http/route';

const POLL_MS = 500;
const HEARTBEAT_MS = 15_000;

export const registerEventRoutes: RouteRegistrar = (server, deps) => {
  server.get('/v1/events', handle(deps, streamEvents));
};

async function streamEvents(req: Request, res: Response, deps: ServiceDeps): Promise<void> {
  const q = query(req);
  if (q.has('after')) return eventPage(q, res, deps);
  const types = q.get('types')?.split(',').filter(Boolean);
  const resumeFrom = (req.headers['last-event-id'] as string | undefined) ?? q.get('lastEventId') ?? undefined;
  let cursor = resumeFrom && /^\d{1,12}$/.test(resumeFrom) ? resumeFrom : await deps.events.lastId();
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  let closed = false;
  let wake: (() => void) | undefined;
  const stopLocal = deps.events.onLocal(() => wake?.());
  req.on('close', () => {
    closed = true;
    wake?.();
  });
  let lastWrite = Date.now();
  try {
    while (!closed) {
      for (const event of await deps.events.after(cursor)) {
        cursor = event.id;
        if (types && !types.includes(event.type)) continue;
        res.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify({ ...event })}\n\n`);
        lastWrite = Date.now();
      }
      if (Date.now() - lastWrite > HEARTBEAT_MS) {
        res.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    stopLocal();
    res.end();
  }
}

const PAGE_MAX = 500;

/** `GET /v1/events?after=<id>&limit=<n>`: the events after `id`, oldest first, and the log's head. */
async function eventPage(q: URLSearchParams, res: Response, deps: ServiceDeps): Promise<void> {
  const after = q.get('after') ?? '';
  const limitRaw = q.get('limit') ?? '100';
  const problems: Record<string, string> = {};
  if (!/^\d{1,12}$/.test(after)) problems.after = 'after must be an event id (digits), or 0 for the oldest kept.';
  if (!/^\d{1,4}$/.test(limitRaw) || Number(limitRaw) > PAGE_MAX)
    problems.limit = `limit must be a whole number from 0 to ${PAGE_MAX}.`;
  if (Object.keys(problems).length) throw badRequest('The event page request is not valid.', problems);
  const types = q.get('types')?.split(',').filter(Boolean);
  const limit = Number(limitRaw);
  const events = limit === 0 ? [] : await deps.events.after(after, limit);
  const value = types ? events.filter((e) => types.includes(e.type)) : events;
  // The cursor moves past filtered-out events too, so a filtered reader never re-reads them.
  const next = events.at(-1)?.id ?? after;
  res.sendRaw(200, JSON.stringify({ value, next, head: await deps.events.lastId() }), {
    'Content-Type': 'application/json; charset=utf-8',
  });
}
