/**
 * Start-up: from spawning the product until the bot's /readyz and the service's /readyz answer 200,
 * with the embedded service, demo data and file storage in a fresh folder, no Playground. Twice:
 * compiled (`node dist/src/index.js`, as `npm run start:prod` runs it, from a build made by
 * scripts/build.ts into a temp folder before the rounds) and from the sources (`tsx src/index.ts`,
 * as `npm start`). Baselines, spawned the same way in the same rounds: a one-line node HTTP server
 * until it answers, and tsx running an empty file until it exits. One uncounted warm-up round (tsx's
 * transform cache, the OS file cache), then the median of three.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { build, ENTRY_POINTS } from '../scripts/build';
import { freePort, waitFor200 } from './lib/http';
import { figure, median, type SectionResult } from './lib/stats';

const SECTION = 'Start-up';
const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const REPEATS = 3;

/** The compiled goal of issue 18, in seconds. */
const COMPILED_GOAL_S = 1;

/** Spawns in its own process group, so that stopping it also stops the node process tsx starts. */
function start(args: string[], env: NodeJS.ProcessEnv = process.env, cwd = ROOT): ChildProcess {
  return spawn(process.execPath, args, { cwd, env, detached: true, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s); // the group we created, by its id
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** A compiled build in a temp folder, next to the installed node_modules (a link: the packages are the same). */
async function compiledBuild(): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-compiled-'));
  await build(path.join(dir, 'dist'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Seconds from spawning `args` in `cwd` until the bot and the embedded service are ready. */
async function product(args: string[], cwd = ROOT): Promise<number> {
  const [port, servicePort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-start-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PLAYGROUND: 'false',
    DEMO_DATA: 'true',
    DATA_DIR: dataDir,
    PORT: String(port),
    RUNTIME_SERVICE_PORT: String(servicePort),
    LOG_LEVEL: 'warn',
  };
  delete env.RUNTIME_SERVICE_URL; // embed the service, as a fresh clone does
  const t0 = performance.now();
  const child = start(args, env, cwd);
  try {
    await Promise.all([
      waitFor200(`http://127.0.0.1:${port}/readyz`),
      waitFor200(`http://127.0.0.1:${servicePort}/readyz`),
    ]);
    return (performance.now() - t0) / 1000;
  } finally {
    await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function nodeHttp(): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = start(['-e', `require('http').createServer((q,s)=>s.end('ok')).listen(${port}, '127.0.0.1')`]);
  try {
    await waitFor200(`http://127.0.0.1:${port}/`);
    return (performance.now() - t0) / 1000;
  } finally {
    await stop(child);
  }
}

async function tsxEmpty(file: string): Promise<number> {
  const t0 = performance.now();
  const child = start([TSX, '--no-deprecation', file]);
  const code = await new Promise((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`tsx on an empty file exited with ${code}`);
  return (performance.now() - t0) / 1000;
}

export async function run(): Promise<SectionResult> {
  const started = Date.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-empty-'));
  const empty = path.join(dir, 'empty.ts');
  writeFileSync(empty, 'export {};\n');
  const compiledDir = await compiledBuild();
  const times = { product: [] as number[], compiled: [] as number[], node: [] as number[], tsx: [] as number[] };
  try {
    for (let round = 0; round <= REPEATS; round++) {
      const c = await product(['--no-deprecation', ENTRY_POINTS.bot], compiledDir);
      const p = await product([TSX, '--no-deprecation', 'src/index.ts']);
      const n = await nodeHttp();
      const t = await tsxEmpty(empty);
      if (round === 0) continue; // warm-up
      times.compiled.push(c);
      times.product.push(p);
      times.node.push(n);
      times.tsx.push(t);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(compiledDir, { recursive: true, force: true });
  }
  const app = median(times.product);
  const compiled = median(times.compiled);
  const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
  return {
    section: SECTION,
    seconds: (Date.now() - started) / 1000,
    figures: [
      figure(SECTION, 'npm run start:prod (compiled) until both /readyz answer', compiled, 's', {
        name: 'node http server until it answers',
        value: median(times.node),
      }),
      figure(SECTION, 'npm start (tsx) until both /readyz answer', app, 's', {
        name: 'the compiled start',
        value: compiled,
      }),
      figure(SECTION, 'npm start (tsx) until both /readyz answer', app, 's', {
        name: 'node http server until it answers',
        value: median(times.node),
      }),
      figure(SECTION, 'npm start (tsx) until both /readyz answer', app, 's', {
        name: 'tsx on an empty file until it exits',
        value: median(times.tsx),
      }),
    ],
    notes: [
      `Median of ${REPEATS} after one warm-up round; runs: compiled ${list(times.compiled)} s, tsx start ` +
        `${list(times.product)} s, node ${list(times.node)} s, tsx empty ${list(times.tsx)} s. The product starts with demo data and file storage in a new folder each time.`,
      `The compiled start ${compiled < COMPILED_GOAL_S ? 'meets' : 'misses'} the goal of issue 18 (under ${COMPILED_GOAL_S} s): ${compiled.toFixed(2)} s.`,
    ],
  };
}
