/**
 * The compiled product started as it is deployed, for compiledStart.test.ts (built beside the
 * repository's node_modules, in `npm test`) and stagedStart.test.ts (a fresh staged folder after
 * `npm ci --omit=dev`, in `npm run test:prod`): child processes configured only through their
 * environment, `npm run start:prod` (bot + embedded service) and `npm run service:prod` with a second
 * `npm run start:prod` pointed at it (the App Service topology). Each answers /readyz and one chat
 * turn POSTed to /api/messages, replying through a loopback Bot Connector.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROOT, STAGED_FILES } from '../../../scripts/build';
import { messageActivity, postActivity } from '../../helpers/activities';
import { LoopbackConnector } from '../../helpers/connector';
import { freePort } from '../../helpers/freePort';

const START_TIMEOUT_MS = 60_000;
/** Settings of the product, and of the SDKs it uses, that must not leak from the test's environment. */
const PRODUCT_SETTING =
  /^(Microsoft|RUNTIME_|AZURE|IMAGE_REGISTRY_|POLICY_FILE|SECRETS_KEY|STORAGE|DATA_DIR|PORT$|HOST$|PLAYGROUND|DEMO_DATA|LOCAL_|LOG_LEVEL|OTEL_|APPLICATIONINSIGHTS_|ALLOWED_|DIGEST_TIME)/;

interface Child {
  child: ChildProcess;
  output: string[];
}

/**
 * A folder laid out as a staged one (STAGED_FILES from `distDir`) whose node_modules is a link to the
 * repository's: the compiled entry points with the dependencies already installed, without `npm ci`.
 */
export function linkedFolder(folder: string, distDir: string): string {
  mkdirSync(folder, { recursive: true });
  cpSync(distDir, path.join(folder, 'dist'), { recursive: true });
  for (const file of STAGED_FILES.filter((f) => f !== 'dist')) cpSync(path.join(ROOT, file), path.join(folder, file));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(folder, 'node_modules'), 'junction');
  return folder;
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

async function waitForReady(url: string, { child, output }: Child): Promise<void> {
  const exitedEarly = (code: number | null) => new Error(`the process exited (${code}):\n${output.join('')}`);
  if (child.exitCode !== null) throw exitedEarly(child.exitCode);
  let onExit!: (code: number | null) => void;
  const exited = new Promise<never>((_, reject) => {
    onExit = (code) => reject(exitedEarly(code));
    child.once('exit', onExit);
  });
  const ready = vi.waitFor(
    async () => {
      const res = await fetch(`${url}/readyz`).catch((error: Error) => error);
      const last = res instanceof Error ? String(res) : `${res.status} ${await res.text()}`;
      if (res instanceof Error || res.status !== 200)
        throw new Error(`${url}/readyz did not answer 200 (last: ${last}):\n${output.join('')}`);
    },
    { timeout: START_TIMEOUT_MS, interval: 100 },
  );
  ready.catch(() => undefined); // when the exit wins the race, the polling's own failure comes later
  try {
    await Promise.race([ready, exited]);
  } finally {
    child.off('exit', onExit);
  }
}

/**
 * The two ways the product starts, as `describe`s: `app()` is the folder to run `npm run` in and
 * `work()` a folder for the children's data, both ready once the caller's beforeAll has run.
 */
export function describeCompiledStarts(app: () => string, work: () => string): void {
  const children: Child[] = [];
  const connector = new LoopbackConnector();

  beforeAll(() => connector.start());
  afterAll(async () => {
    await Promise.all(children.map(({ child }) => stop(child)));
    await connector.stop();
  });

  /** `npm run <script>` in the folder, in its own process group so that stopping it stops node too. */
  function npmRun(script: string, settings: Record<string, string>): Child {
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !PRODUCT_SETTING.test(key)));
    const child = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', script], {
      cwd: app(),
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

  describe('npm run start:prod', () => {
    it(
      'should start the bot and the embedded service, get ready and answer a chat turn',
      async () => {
        const [port, servicePort] = [await freePort(), await freePort()];
        const bot = npmRun('start:prod', {
          PORT: String(port),
          RUNTIME_SERVICE_PORT: String(servicePort),
          DATA_DIR: path.join(work(), 'data-embedded'),
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
          DATA_DIR: path.join(work(), 'data-shared'),
          DEMO_DATA: 'true',
          LOCAL_DURATION_SCALE: '0',
        });
        await waitForReady(serviceUrl, service);
        expect((await fetch(`${serviceUrl}/v1/runtimes`)).status).toBe(401);

        const bot = npmRun('start:prod', {
          PORT: String(port),
          RUNTIME_SERVICE_URL: serviceUrl,
          RUNTIME_SERVICE_TOKEN: token,
          DATA_DIR: path.join(work(), 'data-bot'),
        });
        await waitForReady(`http://127.0.0.1:${port}`, bot);
        expect(await listTurn(`http://127.0.0.1:${port}`, 'a:compiled-shared')).toContain('chat-dev');
        // The bot embedded nothing: its data folder has the bot's state only.
        expect(readdirSync(path.join(work(), 'data-bot'))).not.toContain('service');
      },
      2 * START_TIMEOUT_MS + 30_000,
    );
  });
}
