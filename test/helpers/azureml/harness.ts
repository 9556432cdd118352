/**
 * The runtime service with the azureml provider against the loopback Azure ML fake, with a real
 * ClientSecretCredential on the loopback token endpoint and a FakeClock: what the provider tests drive. `finish`
 * runs an operation's steps, a poll at a time, until it ends; `sync` makes the next sweep mirror Azure.
 */
import { FakeClock } from '../../../src/clock';
import { createLogger } from '../../../src/logger';
import { createRuntimeServiceApp, type RuntimeServiceApp, type ServiceAppOptions } from '../../../src/service/app';
import { ACTORS, sendRequest, type TestResponse } from '../service';
import { FakeAzureMl, type FakeAzureMlOptions } from './fakeAzureMl';
import { azuremlServiceOptions } from './serviceOptions';
import { TokenEndpoint } from './tokenEndpoint';

export const POLL_MS = 1000;

export interface Harness {
  fake: FakeAzureMl;
  tokens: TokenEndpoint;
  app: RuntimeServiceApp;
  /** What the app was built from: a second replica on the same storage is built from it too. */
  options: ServiceAppOptions;
  clock: FakeClock;
  url: string;
  logs: string[];
  sleeps: number[];
  request(method: string, path: string, body?: unknown): Promise<TestResponse>;
  /** Runs the operation's steps, moving the clock a poll at a time, until it ends. */
  finish(operationId: string): Promise<any>;
  /** Sends a change, expects 202, and runs it to its end. */
  run(method: string, path: string, body?: unknown): Promise<any>;
  runtime(name: string): Promise<any>;
  /** Makes the next sweep sync with Azure, and runs it. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(
  options: { withoutRole?: boolean; fake?: Omit<FakeAzureMlOptions, 'tokens'> } = {},
): Promise<Harness> {
  const tokens = new TokenEndpoint();
  await tokens.start();
  const fake = new FakeAzureMl({
    tokens,
    ...options.fake,
    ...(options.withoutRole ? { principalsWithoutRole: [tokens.defaultClient.clientId] } : {}),
  });
  const info = await fake.start();
  const clock = new FakeClock();
  const logs: string[] = [];
  const sleeps: number[] = [];
  const appOptions = azuremlServiceOptions({
    fake,
    apiUrl: info.baseUrl,
    tokens,
    clock,
    log: createLogger('debug', {}, (line) => logs.push(line)),
    sleeps,
    pollMs: POLL_MS,
  });
  const app = createRuntimeServiceApp(appOptions);
  const url = await app.start();
  const request = (method: string, path: string, body?: unknown) =>
    sendRequest(url, method, path, { ...(body !== undefined ? { body } : {}), actor: ACTORS.alex });
  const finish = async (operationId: string) => {
    for (let i = 0; i < 40; i++) {
      const op = await app.engine.getOperation(operationId);
      if (op && (op.status === 'Succeeded' || op.status === 'Failed')) return op;
      clock.advance(POLL_MS * 64);
      await app.engine.tick();
    }
    throw new Error(`operation ${operationId} did not end`);
  };
  return {
    fake,
    tokens,
    app,
    options: appOptions,
    clock,
    url,
    logs,
    sleeps,
    request,
    finish,
    async run(method, path, body) {
      const res = await request(method, path, body);
      if (res.status !== 202) throw new Error(`${method} ${path} answered ${res.status}: ${res.text}`);
      return finish(res.json.id);
    },
    runtime: async (name) => (await request('GET', `/v1/runtimes/${name}`)).json,
    async sync() {
      clock.advance(60_000);
      await app.engine.sweep();
    },
    async close() {
      await app.stop();
      await fake.close();
      await tokens.close();
    },
  };
}
