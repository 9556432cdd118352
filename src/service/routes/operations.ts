/** /v1/operations/{id}: the state of one change, for polling after a 202. */
import { notFound } from '../../errors';
import { handle, param, type RouteRegistrar, sendJson } from '../http/route';
import { toOperation } from '../model';

const OPERATION_ID = /^[0-9a-f-]{36}$/;

export const registerOperationRoutes: RouteRegistrar = (server, deps) => {
  server.get(
    '/v1/operations/:id',
    handle(deps, async (req, res) => {
      const id = param(req, 'id');
      const op = OPERATION_ID.test(id) ? await deps.engine.getOperation(id) : undefined;
      if (!op) throw notFound(`There is no operation with id ${id.slice(0, 40)}.`);
      const done = op.status === 'Succeeded' || op.status === 'Failed';
      sendJson(res, 200, toOperation(op), done ? {} : { 'Retry-After': '1' });
    }),
  );
};
