/**
 * APPLICATIONINSIGHTS_CONNECTION_STRING end to end, as an operator runs it: `src/serviceMain.ts` in a
 * child process configured only through its environment, the real Azure Monitor distro
 * (@azure/monitor-opentelemetry) exporting to a loopback HTTPS ingestion endpoint named in the
 * connection string. A request that carries a W3C traceparent arrives as Application Insights
 * request telemetry of that operation, with the caller as its parent, and its storage calls as
 * dependencies; SIGTERM exports what is buffered before the process ends.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { AppInsightsIngestion } from '../helpers/appInsightsIngestion';
import { COMPILED } from '../helpers/compiled';
import { freePort } from '../helpers/freePort';

const ROOT = path.resolve(__dirname, '../..');
const IKEY = '11111111-2222-3333-4444-555555555555';
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';

const ingestion = new AppInsightsIngestion();
let child: ChildProcess;
let exited: Promise<unknown>;
let serviceUrl: string;
const output: string[] = [];

async function waitForReady(): Promise<void> {
  await vi.waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}):\n${output.join('')}`);
      const ready = await fetch(`${serviceUrl}/readyz`).catch(() => undefined);
      if (ready?.status !== 200) throw new Error(`the service did not become ready:\n${output.join('')}`);
    },
    { timeout: 40_000, interval: 100 },
  );
}

beforeAll(async () => {
  const url = await ingestion.start();
  const port = await freePort();
  serviceUrl = `http://127.0.0.1:${port}`;
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(OTEL_|APPLICATIONINSIGHTS_|APPLICATION_INSIGHTS_|RUNTIME_)/.test(key),
    ),
  );
  child = spawn(process.execPath, ['--no-deprecation', COMPILED.service], {
    cwd: ROOT,
    env: {
      ...inherited,
      APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=${IKEY};IngestionEndpoint=${url};LiveEndpoint=${url}`,
      NODE_EXTRA_CA_CERTS: ingestion.certPath,
      // Statsbeat (the SDK's report on itself) goes to Microsoft's own endpoint, not the configured one.
      APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
      RUNTIME_SERVICE_PORT: String(port),
      STORAGE: 'memory',
      DEMO_DATA: 'true',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exited = once(child, 'exit');
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  await waitForReady();
}, 60_000);

afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGKILL');
  await ingestion.stop();
});

it('should send a traced request to Application Insights as one operation, and flush on SIGTERM', async () => {
  expect(output.join('')).toMatch(/"telemetry":"azure-monitor"/);
  // An operation is read from storage (runtimes come from the read model): a 404 after a storage read.
  const res = await fetch(`${serviceUrl}/v1/operations/00000000-0000-4000-8000-000000000000`, {
    headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` },
  });
  expect(res.status).toBe(404);
  // A caller that chose not to sample (the bot's background polls): nothing is recorded for it.
  const declined = await fetch(`${serviceUrl}/v1/runtimes`, {
    headers: { traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-00` },
  });
  expect(declined.status).toBe(200);
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  expect(code, output.join('')).toBe(0);

  expect(ingestion.unknown).toEqual([]);
  expect(ingestion.envelopes.length).toBeGreaterThan(0);
  expect(ingestion.envelopes.every((e) => e.iKey === IKEY)).toBe(true);
  const ops = ingestion.operations();
  const request = ops.find((o) => o.type === 'RequestData' && o.name === 'GET /v1/operations/:id')!;
  expect(request).toMatchObject({ operationId: TRACE_ID, parentId: CALLER_SPAN });
  const storage = ops.filter((o) => o.type === 'RemoteDependencyData' && o.parentId === request.id);
  expect(storage.map((o) => o.name)).toContain('storage read operations');
  const role = ingestion.envelopes.find((e) => e.tags?.['ai.cloud.role'])?.tags?.['ai.cloud.role'];
  expect(role).toBe('runtime-service');
  // Probes are not traced, nor what the caller declined to sample.
  expect(ops.some((o) => o.name.includes('readyz'))).toBe(false);
  expect(ops.filter((o) => o.name === 'GET /v1/runtimes' || o.operationId === '1'.repeat(32))).toEqual([]);
});
