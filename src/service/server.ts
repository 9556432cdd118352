/** The runtime service's restify server: routes, problem+json for unknown routes, request logs. */
import { randomUUID } from 'node:crypto';
import restify from 'restify';
import { notFound } from '../errors';
import { methodProblem, sendProblem, toProblem } from './http/problem';
import type { ServiceDeps } from './http/route';
import { registerOpenApiRoute } from './openapi';
import { registerEventRoutes } from './routes/events';
import { registerHealthRoutes } from './routes/health';
import { registerOperationRoutes } from './routes/operations';
import { registerReferenceRoutes } from './routes/reference';
import { registerRuntimeRoutes } from './routes/runtimes';
import { registerVersionRoutes } from './routes/versions';
import { keepConnectionsAlive } from '../infra/keepAlive';

const ROUTES = [
  registerHealthRoutes,
  registerOpenApiRoute,
  registerRuntimeRoutes,
  registerOperationRoutes,
  registerReferenceRoutes,
  registerVersionRoutes,
  registerEventRoutes,
];

export function createServiceServer(deps: ServiceDeps): restify.Server {
  const server = restify.createServer({ name: 'runtime-service', handleUncaughtExceptions: false });
  keepConnectionsAlive(server.server);
  server.pre((req, res, next) => {
    const id = String(req.headers['x-request-id'] ?? '').slice(0, 100) || randomUUID();
    (req as unknown as { id(id: string): string }).id(id); // the same id in the response header and in the logs
    res.setHeader('X-Request-Id', id);
    return next();
  });
  for (const register of ROUTES) register(server, deps);
  server.on('NotFound', (req: restify.Request, res: restify.Response, _err: unknown, cb: () => void) => {
    sendProblem(
      res,
      toProblem(notFound(`There is no route ${req.method} ${(req.url ?? '').split('?')[0].slice(0, 100)}.`)),
    );
    cb();
  });
  server.on('MethodNotAllowed', (req: restify.Request, res: restify.Response, _err: unknown, cb: () => void) => {
    sendProblem(res, methodProblem(req.method ?? 'This method', (req.url ?? '').split('?')[0].slice(0, 100)));
    cb();
  });
  return server;
}
