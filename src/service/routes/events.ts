/**
 * GET /v1/events: Server-Sent Events of runtime changes, operation results and new image versions.
 * Resumable: a client that reconnects with Last-Event-ID gets what it missed, from any replica,
 * because events come from the durable log. Every stream of a process is served by the log's one
 * shared tail, so an idle stream costs no storage reads of its own; streams are capped per client
 * and in total. With `?after=<id>` the route answers one JSON page instead, for workers that poll
 * with their own durable cursor.
 */
import type { Request, Response } from 'restify';
import type { ServiceEvent } from '../../domain/runtime';
import { badRequest } from '../../errors';
import type { TailSubscription } from '../events/tail';
import { streamClient } from '../events/streamLimits';
import { handle, query, type RouteRegistrar, type ServiceDeps } from '../http/route';

const HEARTBEAT_MS = 15_000;
/** A client that reads slower than events come is dropped beyond this; it resumes with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export const registerEventRoutes: RouteRegistrar = (server, deps) => {
  server.get('/v1/events', handle(deps, streamEvents));
};

async function streamEvents(req: Request, res: Response, deps: ServiceDeps): Promise<void> {
  const q = query(req);
  if (q.has('after')) return eventPage(q, res, deps);
  const types = q.get('types')?.split(',').filter(Boolean);
  const resumeFrom = (req.headers['last-event-id'] as string | undefined) ?? q.get('lastEventId') ?? undefined;
  const from = resumeFrom && /^\d{1,12}$/.test(resumeFrom) ? Number(resumeFrom) : undefined;
  const release = deps.streams.admit(streamClient(req.headers.authorization, req.socket.remoteAddress));
  let subscription: TailSubscription | undefined;
  try {
    const closed = new Promise<void>((resolve) => res.on('close', resolve));
    // Events may arrive before the headers are out: they wait here.
    const early: string[] = [];
    let open = false;
    const send = (chunk: string) => {
      if (!chunk) return;
      if (!open) return void early.push(chunk);
      res.write(chunk);
      if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy();
    };
    subscription = await deps.events.tail.subscribe(
      from,
      (events) => send(frames(events, types)),
      (error) => {
        deps.log.warn('an event stream could not catch up; it was closed', { error });
        res.destroy();
      },
    );
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    open = true;
    for (const chunk of early.splice(0)) send(chunk);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    await closed;
    clearInterval(heartbeat);
  } finally {
    subscription?.close();
    release();
    if (res.headersSent) res.end();
  }
}

function frames(events: ServiceEvent[], types: string[] | undefined): string {
  return events
    .filter((event) => !types || types.includes(event.type))
    .map((event) => `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify({ ...event })}\n\n`)
    .join('');
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
  const { events, head } =
    limit === 0 ? { events: [], head: await deps.events.lastId() } : await deps.events.page(after, limit);
  const value = types ? events.filter((e) => types.includes(e.type)) : events;
  // The cursor moves past filtered-out events too, so a filtered reader never re-reads them.
  const next = events.at(-1)?.id ?? after;
  res.sendRaw(200, JSON.stringify({ value, next, head }), {
    'Content-Type': 'application/json; charset=utf-8',
  });
}
