/** Route plumbing shared by every handler: auth, error mapping, JSON answers. */
import type { Request, Response, Server } from 'restify';
import { AppError } from '../../errors';
import type { Logger } from '../../logger';
import { ContentionError } from '../../storage/collection';
import type { Storage } from '../../storage/storage';
import type { EventLog } from '../events/eventLog';
import type { StreamLimits } from '../events/streamLimits';
import type { OperationEngine } from '../operations/engine';
import type { RuntimeProvider } from '../providers/provider';
import type { RuntimeViews } from '../runtimeViews';
import type { VersionStore } from '../versions/versionStore';
import { checkBearer } from './auth';
import { sendProblem, toProblem } from './problem';

export interface ServiceDeps {
  engine: OperationEngine;
  views: RuntimeViews;
  versions: VersionStore;
  events: EventLog;
  /** Caps on open `GET /v1/events` streams. */
  streams: StreamLimits;
  provider: RuntimeProvider;
  storage: Storage;
  log: Logger;
  token?: string;
  maxBodyBytes: number;
}

export type Handler = (req: Request, res: Response, deps: ServiceDeps) => Promise<void>;
export type RouteRegistrar = (server: Server, deps: ServiceDeps) => void;

/** Wraps a handler: checks the bearer token (unless public) and turns errors into problems. */
export function handle(deps: ServiceDeps, fn: Handler, options: { public?: boolean } = {}) {
  // restify 11 runs an async handler with two arguments and continues when its promise settles.
  return async (req: Request, res: Response): Promise<void> => {
    try {
      if (!options.public) checkBearer(req, deps.token);
      await fn(req, res, deps);
    } catch (error) {
      const problem = toProblem(error);
      const fields = { method: req.method, path: req.path(), status: problem.status, requestId: req.id() };
      if (problem.status < 500) deps.log.debug('request rejected', { ...fields, detail: problem.detail });
      else if (error instanceof AppError) {
        // Expected (busy, a dependency down): worth a warning, not a stack trace.
        deps.log.warn('request refused for now', {
          ...fields,
          detail: problem.detail,
          ...(error instanceof ContentionError ? { key: error.key } : {}),
        });
      } else deps.log.error('request failed', { ...fields, error });
      if (!res.headersSent) sendProblem(res, problem);
    }
  };
}

export function sendJson(res: Response, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.sendRaw(status, text, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
}

export function param(req: Request, name: string): string {
  return String((req.params as Record<string, string>)[name] ?? '');
}

export function query(req: Request): URLSearchParams {
  return new URL(req.url ?? '/', 'http://service').searchParams;
}
