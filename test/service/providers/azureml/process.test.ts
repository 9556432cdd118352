/**
 * The production credential path, for real: `src/serviceMain.ts` runs in a child process configured
 * only through its environment, as an operator would run it. Nothing is injected: the provider
 * builds its own DefaultAzureCredential, whose EnvironmentCredential picks AZURE_TENANT_ID /
 * AZURE_CLIENT_ID / AZURE_CLIENT_SECRET and makes a ClientSecretCredential that gets its tokens from
 * the loopback HTTPS token endpoint (AZURE_AUTHORITY_HOST, trusted through NODE_EXTRA_CA_CERTS),
 * then lists the runtimes of the loopback Azure ML fake (AZUREML_API_URL) in its first sync.
 *
 * MSAL validates an authority it does not know through instance discovery at login.microsoftonline.com
 * unless the credential is built with `disableInstanceDiscovery` (as `tokens.credential()` is). With
 * AZURE_AUTHORITY_HOST set, the provider must pass it too, or no token is ever requested here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAzureMl } from '../../../helpers/azureml/fakeAzureMl';
import { AML_SCOPE, ARM_SCOPE, TokenEndpoint } from '../../../helpers/azureml/tokenEndpoint';
import { COMPILED } from '../../../helpers/compiled';
import { sendRequest } from '../../../helpers/service';
import { freePort } from '../../../helpers/freePort';

const ROOT = path.resolve(__dirname, '../../../..');
const TIMEOUT_MS = 60_000;

let tokens: TokenEndpoint;
let fake: FakeAzureMl;
let child: ChildProcess | undefined;
let exited: Promise<number | null> | undefined;
let serviceUrl: string;
const output: string[] = [];

/** The child's environment: the test process's, without anything that configures the service or an identity. */
function childEnv(port: number, apiUrl: string): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(tokens.childProcessEnv()).filter(
      ([key]) => !/^(AZURE_|AZUREML_|RUNTIME_|IMAGE_REGISTRY_|IDENTITY_|MSI_|Microsoft)/i.test(key),
    ),
  );
  const client = tokens.defaultClient;
  return {
    ...inherited,
    RUNTIME_PROVIDER: 'azureml',
    AZUREML_SUBSCRIPTION_ID: fake.config.subscriptionId,
    AZUREML_RESOURCE_GROUP: fake.config.resourceGroup,
    AZUREML_WORKSPACE: fake.config.workspace,
    AZUREML_API_URL: apiUrl,
    AZURE_TENANT_ID: client.tenantId,
    AZURE_CLIENT_ID: client.clientId,
    AZURE_CLIENT_SECRET: client.clientSecret,
    AZURE_AUTHORITY_HOST: tokens.authorityHost,
    RUNTIME_SERVICE_PORT: String(port),
    // No base-image watcher: in azureml mode it would poll mcr.microsoft.com, which a test must not reach.
    IMAGE_REGISTRY_URL: 'none',
    STORAGE: 'memory',
    LOG_LEVEL: 'warn',
    DEMO_DATA: 'false',
  };
}

async function waitForReady(url: string): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS - 5_000;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child?.exitCode !== null) throw new Error(`the service exited (${child?.exitCode}):\n${output.join('')}`);
    try {
      const res = await fetch(`${url}/readyz`);
      last = `${res.status} ${await res.text()}`;
      if (res.status === 200) return;
    } catch (error) {
      last = String(error);
    }
    // No fault is injected into the token endpoint, so a failed start-up fetch is final: say why at once.
    if (output.join('').includes('Azure ML tokens unavailable at start-up') && last.startsWith('503')) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const seen = tokens.requests.map((r) => `${r.method} ${r.path} → ${r.status}`).join(', ') || 'none';
  throw new Error(
    `the service did not become ready: ${last}\ntoken endpoint requests: ${seen}\nservice output:\n${output.join('')}`,
  );
}

beforeAll(async () => {
  tokens = new TokenEndpoint();
  await tokens.start();
  fake = new FakeAzureMl({ tokens });
  const { baseUrl } = await fake.start();
  fake.addComputeInstance({ name: 'ci-bot', ownerObjectId: tokens.defaultClient.objectId });
  fake.addRuntime({ name: 'studio-rt', computeInstanceName: 'ci-bot', customAppName: 'studio-app' });
  fake.addRuntime({ name: 'mir-rt', runtimeType: 'ManagedOnlineEndpoint', endpointName: 'ep', deploymentName: 'blue' });
  fake.setRuntimeStatus('mir-rt', 'Reconfiguring');

  const port = await freePort();
  serviceUrl = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, ['--no-deprecation', COMPILED.service], {
    cwd: ROOT,
    env: childEnv(port, baseUrl),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exited = once(child, 'exit').then(
    ([code]) => code as number | null,
    () => null,
  );
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
}, TIMEOUT_MS);

afterAll(async () => {
  try {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
      if (code === 'timeout') child.kill('SIGKILL');
      else expect(code, output.join('')).toBe(0); // serviceMain stops cleanly on SIGTERM
    }
  } finally {
    await fake?.close();
    await tokens?.close();
  }
}, TIMEOUT_MS);

describe('serviceMain with RUNTIME_PROVIDER=azureml, in its own process', () => {
  it(
    'should get its tokens through DefaultAzureCredential and list the workspace runtimes',
    async () => {
      await waitForReady(serviceUrl);
      const ready = await sendRequest(serviceUrl, 'GET', '/readyz');
      expect(ready.json).toMatchObject({
        status: 'ok',
        provider: { name: 'azureml', ok: true, detail: expect.stringMatching(/management\.azure\.com token valid/) },
      });
      expect(ready.json.provider.detail).toMatch(/ml\.azure\.com token valid/);
      expect(ready.json.provider.detail).toMatch(/last sync \d+ s ago ok/);

      const list = await sendRequest(serviceUrl, 'GET', '/v1/runtimes');
      expect(list.status).toBe(200);
      expect(list.json.value.map((r: any) => [r.name, r.type, r.status])).toEqual([
        ['mir-rt', 'managedOnlineDeployment', 'Reconfiguring'],
        ['studio-rt', 'computeInstance', 'Running'],
      ]);

      // EnvironmentCredential → ClientSecretCredential → MSAL, over HTTPS, once per scope.
      const grants = tokens.requests.filter((r) => r.method === 'POST' && r.status === 200);
      expect(grants.map((r) => [r.grantType, r.clientId, r.scope])).toEqual(
        expect.arrayContaining([
          ['client_credentials', tokens.defaultClient.clientId, ARM_SCOPE],
          ['client_credentials', tokens.defaultClient.clientId, AML_SCOPE],
        ]),
      );
      expect(tokens.requests.filter((r) => r.status !== 200)).toEqual([]);

      // The sync's list call carried an ARM token that the endpoint issued to this client.
      const listCalls = fake.callsTo('FlowRuntimes_ListRuntimes');
      expect(listCalls.length).toBeGreaterThan(0);
      const bearer = listCalls[0].headers.authorization?.replace(/^Bearer /, '') ?? '';
      expect(tokens.verify(bearer)?.issued).toMatchObject({
        clientId: tokens.defaultClient.clientId,
        audience: 'https://management.azure.com',
      });
      expect(fake.violations).toEqual([]);
      const logs = output.join('');
      expect(logs).not.toContain(tokens.defaultClient.clientSecret);
      expect(logs).not.toContain(bearer);
    },
    TIMEOUT_MS,
  );
});
