import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../helpers/freePort';

export { freePort };

export * from './api';
export * from './config';

export interface StartPlaygroundOptions {
  /** The bot's messaging endpoint, e.g. http://127.0.0.1:3978/api/messages. */
  botEndpoint: string;
  /** Contents of `.m365agentsplayground.yml`; without it the Playground uses its built-in config. */
  configYaml?: string;
  /** Working directory; a fresh temp dir (removed by stop()) when omitted. */
  cwd?: string;
  port?: number;
  startTimeoutMs?: number;
}

export interface PlaygroundHandle {
  /** UI address, e.g. http://127.0.0.1:41234/ (the mocked connector is under /_connector). */
  url: string;
  port: number;
  cwd: string;
  pid: number;
  alive(): boolean;
  /** stdout/stderr plus the Playground's own log file (its console goes there when stdout is not a TTY). */
  output(): string;
  stop(): Promise<void>;
}

const CONFIG_FILE = '.m365agentsplayground.yml';

export async function startPlayground(opts: StartPlaygroundOptions): Promise<PlaygroundHandle> {
  const ownDir = opts.cwd === undefined;
  const cwd = opts.cwd ?? mkdtempSync(join(tmpdir(), 'playground-'));
  const logFile = join(cwd, 'playground.log');
  if (opts.configYaml !== undefined) writeFileSync(join(cwd, CONFIG_FILE), opts.configYaml);
  const requestedPort = opts.port ?? (await freePort());
  const cli = require.resolve('@microsoft/m365agentsplayground/cli.js');
  const args = [cli, 'start', '-e', opts.botEndpoint, '-c', 'msteams', '-p', String(requestedPort), '--dt'];

  const child = spawn(process.execPath, args, {
    cwd,
    // stdin stays an open pipe: testing-notes.md saw an exit on a closed stdin (we could only reproduce one with
    // an invalid config, but holding it open is free).
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      ...process.env,
      TEAMSAPPTESTER_BROWSER: 'none', // never try to open a desktop browser
      M365_AGENTS_PLAYGROUND_LOGFILE: logFile,
      M365_AGENTS_PLAYGROUND_CONFIG_PATH: join(cwd, CONFIG_FILE),
    },
  });
  let captured = '';
  child.stdout?.on('data', (b: Buffer) => {
    captured += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    captured += b.toString();
  });
  const output = (): string => {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    return `${captured}\n--- ${logFile} ---\n${log}`;
  };

  const stop = async (): Promise<void> => {
    await killChild(child);
    if (ownDir) rmSync(cwd, { recursive: true, force: true });
  };

  try {
    // It silently moves to another port when the asked one is taken, so trust "Listening on N".
    const port = await waitFor(opts.startTimeoutMs ?? 30_000, child, output, async () => {
      const m = /Listening on (\d+)/.exec(captured);
      if (!m) return undefined;
      const p = Number(m[1]);
      const res = await fetch(`http://127.0.0.1:${p}/`).catch(() => undefined);
      const body = res?.ok ? await res.text() : '';
      return body.includes('Agents Playground') ? p : undefined;
    });
    return {
      url: `http://127.0.0.1:${port}/`,
      port,
      cwd,
      pid: child.pid ?? -1,
      alive: () => child.exitCode === null && child.signalCode === null,
      output,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitFor<T>(
  timeoutMs: number,
  child: ChildProcess,
  output: () => string,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Playground exited (${child.exitCode ?? child.signalCode}) before serving its UI:\n${output()}`);
    }
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Playground did not serve its UI within ${timeoutMs} ms:\n${output()}`);
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
  child.stdin?.destroy();
}
