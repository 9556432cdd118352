/**
 * Starts the Microsoft 365 Agents Playground (a Teams-like web client on localhost) against the
 * bot, for the local chat loop. It is a dev dependency: where it is not installed, or when a Teams
 * app id is configured (production), `npm start` runs without it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import type { Logger } from '../../logger';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'node_modules/@microsoft/m365agentsplayground/cli.js');
const CONFIG = path.join(ROOT, 'playground/.m365agentsplayground.yml');

export interface PlaygroundHandle {
  url: string;
  stop(): void;
}

interface PersonEntry {
  name: string;
  [key: string]: unknown;
}

/** The config folder to run from; `as` swaps the current user with another person in the file. */
export function playgroundConfigDir(as?: string): string {
  if (!as) return path.dirname(CONFIG);
  const config = parse(readFileSync(CONFIG, 'utf8')) as { currentUser: PersonEntry; users: PersonEntry[] };
  const index = config.users.findIndex((u) => u.name.toLowerCase().startsWith(as.toLowerCase()));
  if (index < 0) throw new Error(`--as ${as}: no such person in ${path.relative(ROOT, CONFIG)}`);
  const previous = config.currentUser;
  config.currentUser = config.users[index];
  config.users[index] = previous;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'playground-'));
  writeFileSync(path.join(dir, '.m365agentsplayground.yml'), stringify(config));
  return dir;
}

export async function startPlayground(
  botUrl: string,
  port: number,
  log: Logger,
  as?: string,
): Promise<PlaygroundHandle | undefined> {
  if (!existsSync(CLI)) {
    log.warn('the Agents Playground is not installed (npm install without --omit=dev adds it); starting without it');
    return undefined;
  }
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, '-e', `${botUrl}/api/messages`, '-c', 'msteams', '-p', String(port), '--dt'],
    {
      cwd: playgroundConfigDir(as),
      // A closed stdin makes the Playground exit when it has a config file: keep a pipe open.
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TEAMSAPPTESTER_BROWSER: 'none' },
    },
  );
  const url = `http://localhost:${port}`;
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(500) })).ok) {
        return { url, stop: () => child.kill() };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  log.warn('the Agents Playground did not start', { output: output.slice(-2000) });
  return undefined;
}
