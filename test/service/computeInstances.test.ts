import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTORS, advance, startTestService, type TestService, TIMINGS } from '../helpers/service';

describe('compute instance power', () => {
  let service: TestService;
  beforeEach(async () => {
    service = await startTestService({ demoData: true });
  });
  afterEach(async () => service.close());

  it('should make the runtimes on a stopped compute instance Unavailable, and Running again after a start', async () => {
    const stop = await service.request('POST', '/v1/compute-instances/ci-alex/stop', { actor: ACTORS.alex });
    expect(stop.status).toBe(200);
    expect(stop.json.runtimes).toEqual([{ runtime: 'ci-alex-runtime', status: 'Unavailable' }]);
    const stopped = await service.request('GET', '/v1/runtimes/ci-alex-runtime');
    expect(stopped.json).toMatchObject({ status: 'Unavailable', statusMessage: 'Compute instance ci-alex is Stopped' });

    // Nothing that needs the compute runs meanwhile, and no new runtime goes on it.
    const reset = await service.request('POST', '/v1/runtimes/ci-alex-runtime/reset', { actor: ACTORS.alex });
    expect(reset.status).toBe(409);
    const create = await service.request('PUT', '/v1/runtimes/on-stopped', {
      actor: ACTORS.alex,
      body: { type: 'computeInstance', computeInstanceName: 'ci-alex', customApplication: { mode: 'new' } },
    });
    expect(create.status).toBe(422);
    expect(create.json.errors.computeInstanceName).toMatch(/is Stopped/);

    const start = await service.request('POST', '/v1/compute-instances/ci-alex/start', { actor: ACTORS.alex });
    expect(start.json.runtimes).toEqual([{ runtime: 'ci-alex-runtime', status: 'Running' }]);
    expect((await service.request('GET', '/v1/runtimes/ci-alex-runtime')).json.status).toBe('Running');
  });

  it('should let only the owner or the assignee start or stop an instance', async () => {
    const denied = await service.request('POST', '/v1/compute-instances/ci-megan/stop', { actor: ACTORS.alex });
    expect(denied.status).toBe(403);
    expect(denied.json.detail).toMatch(/Only the owner of ci-megan/);
    const assigned = await service.request('POST', '/v1/compute-instances/ci-team-gpu/stop', { actor: ACTORS.alex });
    expect(assigned.status).toBe(200);
  });

  it.each([
    ['an unknown instance', '/v1/compute-instances/ci-nope/stop', 404, /There is no compute instance named ci-nope/],
    ['an unknown action', '/v1/compute-instances/ci-alex/reboot', 400, /Use POST/],
    // The storage key of "a/b" would reach into another collection: a client's mistake, not a 500.
    ['a name with a slash', '/v1/compute-instances/a%2Fb/stop', 400, /"a\/b" is not a valid name/],
    ['a name that is a slash', '/v1/compute-instances/%2F/start', 400, /"\/" is not a valid name/],
  ])('should refuse %s', async (_case, path, status, detail) => {
    const res = await service.request('POST', path, { actor: ACTORS.alex });
    expect(res.status).toBe(status);
    expect(res.json.detail).toMatch(detail);
  });

  it('should leave a runtime alone while an operation owns it', async () => {
    await service.request('POST', '/v1/runtimes/ci-alex-runtime/upgrade', { actor: ACTORS.alex });
    const stop = await service.request('POST', '/v1/compute-instances/ci-alex/stop', { actor: ACTORS.alex });
    expect(stop.json.runtimes).toEqual([]);
    await advance(service, TIMINGS.updateMs);
    expect((await service.request('GET', '/v1/runtimes/ci-alex-runtime')).json.status).toBe('Running');
  });
});
