/**
 * /v1/versions: known base-image versions, the latest, the outdated runtimes (with an ETag, for
 * If-None-Match); and publishing one.
 */
import { requireActor } from '../http/auth';
import { readJson } from '../http/body';
import { represent, sendRepresentation } from '../http/conditional';
import { handle, type RouteRegistrar, sendJson } from '../http/route';
import { validateBody } from '../http/validate';

export const registerVersionRoutes: RouteRegistrar = (server, deps) => {
  server.get(
    '/v1/versions',
    handle(deps, async (req, res) => sendRepresentation(req, res, represent(await deps.views.report()))),
  );
  server.post(
    '/v1/versions',
    handle(deps, async (req, res) => {
      const actor = requireActor(req);
      const body = validateBody<{ tag: string; notes?: string }>(
        'PublishVersion',
        await readJson(req, deps.maxBodyBytes),
      );
      const { created, version } = await deps.versions.publish(body.tag.trim(), body.notes, actor);
      deps.log.info(created ? 'image version published' : 'image version already known', { tag: version.tag });
      sendJson(res, created ? 201 : 200, version);
    }),
  );
};
