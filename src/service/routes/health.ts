/** /healthz answers while the process serves; /readyz also checks the provider and the storage. */
import { handle, type RouteRegistrar, sendJson } from '../http/route';

export const registerHealthRoutes: RouteRegistrar = (server, deps) => {
  server.get(
    '/healthz',
    handle(deps, async (_req, res) => sendJson(res, 200, { status: 'ok' }), { public: true }),
  );
  server.get(
    '/readyz',
    handle(
      deps,
      async (_req, res) => {
        const [provider, storage] = await Promise.all([
          deps.provider.health().catch((e: Error) => ({ ok: false, detail: e.message })),
          deps.storage.health().catch((e: Error) => ({ ok: false, detail: e.message })),
        ]);
        const ok = provider.ok && storage.ok;
        sendJson(res, ok ? 200 : 503, {
          status: ok ? 'ok' : 'degraded',
          provider: { name: deps.provider.name, ...provider },
          storage,
        });
      },
      { public: true },
    ),
  );
};
