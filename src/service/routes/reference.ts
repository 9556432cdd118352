/** Reference data for forms: compute instances, VM sizes, environments, identities. */
import { badRequest, notFound } from '../../errors';
import { actorOf, requireActor } from '../http/auth';
import { handle, param, query, type RouteRegistrar, sendJson } from '../http/route';

export const registerReferenceRoutes: RouteRegistrar = (server, deps) => {
  const ref = deps.provider.reference;
  server.get(
    '/v1/compute-instances',
    handle(deps, async (req, res) => {
      // ?usableBy=me lists what the acting user may pick: their own instances and those assigned to them.
      const usableBy = query(req).get('usableBy');
      const actor = actorOf(req);
      let list = await ref.computeInstances();
      if (usableBy) {
        if (usableBy === 'me' && !actor)
          throw badRequest('usableBy=me needs the acting user in the X-Acting-User-Id header.');
        const id = usableBy === 'me' ? actor?.objectId : usableBy;
        list = list.filter((ci) => ci.owner.objectId === id || ci.assignedTo?.objectId === id);
      }
      sendJson(res, 200, { value: list });
    }),
  );
  server.get(
    '/v1/compute-instances/:name/applications',
    handle(deps, async (req, res) => {
      const name = param(req, 'name').toLowerCase();
      const ci = (await ref.computeInstances()).find((c) => c.name.toLowerCase() === name);
      if (!ci) throw notFound(`There is no compute instance named ${param(req, 'name').slice(0, 64)}.`);
      sendJson(res, 200, { value: ci.applications });
    }),
  );
  server.post(
    '/v1/compute-instances/:name/:action',
    handle(deps, async (req, res) => {
      const action = param(req, 'action');
      if (action !== 'start' && action !== 'stop')
        throw badRequest('Use POST …/compute-instances/{name}/start or …/stop.');
      const actor = requireActor(req);
      if (!deps.provider.powerComputeInstance) {
        throw badRequest(`The ${deps.provider.name} provider does not start or stop compute instances.`);
      }
      const changed = await deps.provider.powerComputeInstance(param(req, 'name'), action, actor);
      for (const c of changed) {
        await deps.events.append('runtime.changed', {
          runtimeName: c.runtime,
          status: c.status,
          message: `compute instance ${action}`,
        });
      }
      const status = action === 'start' ? 'Running' : 'Stopped';
      sendJson(res, 200, { computeInstance: param(req, 'name'), status, runtimes: changed });
    }),
  );
  server.get(
    '/v1/vm-sizes',
    handle(deps, async (_req, res) => sendJson(res, 200, { value: await ref.vmSizes() })),
  );
  server.get(
    '/v1/environments',
    handle(deps, async (_req, res) => sendJson(res, 200, { value: await ref.environments() })),
  );
  server.get(
    '/v1/identities',
    handle(deps, async (_req, res) => sendJson(res, 200, { value: await ref.identities() })),
  );
};
