/**
 * The provider against recorded answers of the real service, replayed byte for byte on loopback
 * (test/fixtures/azureml/, helpers/azureml/replay.ts): the requests it sends must be the recorded ones, and what
 * the service answered must take it to the end. The tokens are real ones from the loopback token endpoint.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/clock';
import { createLogger } from '../../../../src/logger';
import { createRuntimeServiceApp, type RuntimeServiceApp } from '../../../../src/service/app';
import { loadFixture, relativePath, ReplayServer } from '../../../helpers/azureml/replay';
import { azuremlServiceOptions } from '../../../helpers/azureml/serviceOptions';
import { TokenEndpoint } from '../../../helpers/azureml/tokenEndpoint';
import { ACTORS, sendRequest } from '../../../helpers/service';

const WORKSPACE = {
  subscriptionId: '0b1f6471-1bf0-4dda-aec3-cb9272f09590',
  resourceGroup: 'rg-promptflow',
  workspace: 'ws-promptflow',
};

let tokens: TokenEndpoint;
let replay: ReplayServer;
let app: RuntimeServiceApp;
let clock: FakeClock;
let url: string;

async function start(fixture: string): Promise<void> {
  replay = new ReplayServer(loadFixture(fixture), WORKSPACE);
  const apiUrl = await replay.start();
  clock = new FakeClock();
  app = createRuntimeServiceApp(
    azuremlServiceOptions({
      fake: replay,
      apiUrl,
      tokens,
      clock,
      log: createLogger('error', {}, () => undefined),
      sleeps: [],
      pollMs: 5000,
    }),
  );
  url = await app.start();
}

async function finish(id: string): Promise<any> {
  for (let i = 0; i < 20; i++) {
    const op = await app.engine.getOperation(id);
    if (op?.status === 'Succeeded' || op?.status === 'Failed') return op;
    clock.advance(5000);
    await app.engine.tick();
  }
  throw new Error(`operation ${id} did not end`);
}

beforeEach(async () => {
  tokens = new TokenEndpoint();
  await tokens.start();
});

afterEach(async () => {
  await app?.stop();
  await replay?.close();
  await tokens.close();
});

describe('azureml provider on recorded exchanges', () => {
  it('should start a compute session as the SDK did: an Install, an empty 202, one poll to Succeeded', async () => {
    await start('flowsessions-install.json');
    const recorded = replay.fixture.exchanges;
    const res = await sendRequest(url, 'PUT', '/v1/runtimes/chat-dev', {
      body: { type: 'automatic', vmSize: 'Standard_E4ds_v4' },
      actor: ACTORS.alex,
    });
    expect(res.status).toBe(202);
    const op = await finish(res.json.id);
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    expect((await sendRequest(url, 'GET', '/v1/runtimes/chat-dev', { actor: ACTORS.alex })).json).toMatchObject({
      status: 'Running',
    });

    expect(replay.remaining).toBe(0);
    const [create, poll] = replay.requests.filter((r) => r.exchange !== undefined);
    // The recorded request's fields, with the same values; the provider adds the session's VM size.
    expect(create.body).toMatchObject(JSON.parse(recorded[0].request.body!));
    expect(create.headers['aml-user-token']).toBeTruthy();
    expect(create.headers['content-type']).toMatch(/^application\/json/);
    expect([poll.method, poll.path]).toEqual(['GET', relativePath(recorded[1].request.uri).path]);
    expect(poll.query).toEqual({ 'api-version': '2021-03-01-preview', type: 'location' });
    // Not in the recording: the start-up sync's list, and the session's details read once it is ready.
    expect(replay.unrecorded).toEqual(['GET /FlowRuntimes', 'GET /FlowSessions/{session}']);
  });
});
