/**
 * The compiled product as it is deployed: `scripts/build.ts` compiles into a temp folder, stages a
 * fresh folder holding only dist/, package.json and package-lock.json, and runs
 * `npm ci --omit=dev --no-audit --no-fund` there (the same `stage()` that `npm run stage`, the Agents
 * Toolkit and the Dockerfile's recipe use). Then, as child processes configured only through their
 * environment: `npm run start:prod` (bot + embedded service), and `npm run service:prod` with a
 * second `npm run start:prod` pointed at it (the App Service topology). Each answers /readyz and one
 * chat turn POSTed to /api/messages, replying through a loopback Bot Connector.
 *
 * Slow (npm ci over the network or the npm cache): the one test file that does it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, ROOT, stage, STAGED_FILES } from '../../scripts/build';
import { messageActivity, postActivity } from '../helpers/activities';
import { LoopbackConnector } from '../helpers/connector';

const SETUP_TIMEOUT_MS = 10 * 60_000;
const START_TIMEOUT_MS = 60_000;
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
const LOCK = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean }>;
};
/** Settings of the product, and of the SDKs it uses, that must not leak from the test's environment. */
const PRODUCT_SETTING =
  /^(Microsoft|RUNTIME_|AZURE|IMAGE_REGISTRY_|POLICY_FILE|SECRETS_KEY|STORAGE|DATA_DIR|PORT$|HOST$|PLAYGROUND|DEMO_DATA|LOCAL_|LOG_LEVEL|OTEL_|APPLICATIONINSIGHTS_|ALLOWED_|DIGEST_TIME)/;

let work: string;
let app: string;
const children: { child: ChildProcess; output: string[] }[] = [];
const connector = new LoopbackConnector();

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'compiled-start-'));
  const dist = await build(path.join(work, 'dist'));
  app = await stage(path.join(work, 'app'), dist);
  await connector.start();
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(children.map(({ child }) => stop(child)));
  await connector.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `npm run <script>` in the staged folder, in its own process group so that stopping it stops node too. */
function npmRun(script: string, settings: Record<string, string>): { child: ChildProcess; output: string[] } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !PRODUCT_SETTING.test(key)));
  const child = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', script], {
    cwd: app,
    env: { ...env, LOG_LEVEL: 'warn', PLAYGROUND: 'false', ...settings },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const handle = { child, output };
  children.push(handle);
  return handle;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s); // the group this test created, by its id
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function waitForReady(url: string, { child, output }: { child: ChildProcess; output: string[] }): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the process exited (${child.exitCode}):\n${output.join('')}`);
    try {
      const res = await fetch(`${url}/readyz`);
      last = `${res.status} ${await res.text()}`;
      if (res.status === 200) return;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}/readyz did not answer 200 (last: ${last}):\n${output.join('')}`);
}

/** One `list` turn; resolves with the card the bot sent back through the connector. */
async function listTurn(botUrl: string, conversationId: string): Promise<string> {
  const activity = messageActivity(connector.url, 'list', 'alex', { kind: 'personal', conversationId });
  const res = await postActivity(botUrl, activity);
  expect(res.status).toBe(200);
  await connector.waitFor(() => connector.sent(conversationId).length > 0, 20_000);
  const attachments = connector.sent(conversationId).flatMap((c) => c.activity.attachments ?? []);
  expect(attachments.map((a) => a.contentType)).toContain('application/vnd.microsoft.card.adaptive');
  return JSON.stringify(attachments);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe('the staged folder', () => {
  it('should hold the staged files and production dependencies only', () => {
    expect(readdirSync(app).sort()).toEqual([...STAGED_FILES, 'node_modules'].sort());
    // The lock file marks what only devDependencies need (tsx, typescript, vitest… and theirs).
    const devOnly = Object.entries(LOCK.packages)
      .filter(([where, entry]) => where && entry.dev)
      .map(([where]) => where);
    expect(devOnly).toContain('node_modules/tsx');
    expect(devOnly.filter((where) => existsSync(path.join(app, where)))).toEqual([]);
    for (const name of Object.keys(PACKAGE.dependencies))
      expect(existsSync(path.join(app, 'node_modules', name))).toBe(true);
  });

  it('should require nothing but Node built-ins and production dependencies from compiled code', () => {
    const builtins = new Set(builtinModules);
    const required = new Set<string>();
    for (const file of filesUnder(path.join(app, 'dist')).filter((f) => f.endsWith('.js'))) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/\brequire\("([^"]+)"\)/g)) {
        if (spec.startsWith('.')) continue;
        required.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
      }
    }
    const foreign = [...required].filter(
      (name) => !builtins.has(name.replace(/^node:/, '')) && !(name in PACKAGE.dependencies),
    );
    expect(required.size).toBeGreaterThan(5);
    expect(foreign).toEqual([]);
  });
});

describe('npm run start:prod', () => {
  it(
    'should start the bot and the embedded service, get ready and answer a chat turn',
    async () => {
      const [port, servicePort] = [await freePort(), await freePort()];
      const bot = npmRun('start:prod', {
        PORT: String(port),
        RUNTIME_SERVICE_PORT: String(servicePort),
        DATA_DIR: path.join(work, 'data-embedded'),
        DEMO_DATA: 'true',
        LOCAL_DURATION_SCALE: '0',
      });
      await waitForReady(`http://127.0.0.1:${port}`, bot);
      await waitForReady(`http://127.0.0.1:${servicePort}`, bot);
      expect(await listTurn(`http://127.0.0.1:${port}`, 'a:compiled-embedded')).toContain('chat-dev');
      expect(bot.child.exitCode).toBeNull();
    },
    START_TIMEOUT_MS + 30_000,
  );
});

describe('npm run service:prod', () => {
  it(
    'should run the service alone, behind its token, for a bot started with RUNTIME_SERVICE_URL',
    async () => {
      const [port, servicePort] = [await freePort(), await freePort()];
      const token = 'compiled-start-test-token';
      const serviceUrl = `http://127.0.0.1:${servicePort}`;
      const service = npmRun('service:prod', {
        RUNTIME_SERVICE_PORT: String(servicePort),
        RUNTIME_SERVICE_TOKEN: token,
        DATA_DIR: path.join(work, 'data-shared'),
        DEMO_DATA: 'true',
        LOCAL_DURATION_SCALE: '0',
      });
      await waitForReady(serviceUrl, service);
      expect((await fetch(`${serviceUrl}/v1/runtimes`)).status).toBe(401);

      const bot = npmRun('start:prod', {
        PORT: String(port),
        RUNTIME_SERVICE_URL: serviceUrl,
        RUNTIME_SERVICE_TOKEN: token,
        DATA_DIR: path.join(work, 'data-bot'),
      });
      await waitForReady(`http://127.0.0.1:${port}`, bot);
      expect(await listTurn(`http://127.0.0.1:${port}`, 'a:compiled-shared')).toContain('chat-dev');
      // The bot embedded nothing: its data folder has the bot's state only.
      expect(readdirSync(path.join(work, 'data-bot'))).not.toContain('service');
    },
    2 * START_TIMEOUT_MS + 30_000,
  );
});
