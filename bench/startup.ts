/**
 * Start-up: from spawning the product until the bot's /readyz and the service's /readyz answer 200,
 * with the embedded service, demo data and file storage in a fresh folder, no Playground. Twice:
 * compiled (`node dist/src/index.js`, as `npm run start:prod` runs it, from a build made by
 * scripts/build.ts into a temp folder before the rounds) and from the sources (`tsx src/index.ts`,
 * as `npm start`). Baselines, spawned the same way in the same rounds: a one-line node HTTP server
 * until it answers, and tsx running an empty file until it exits. One uncounted warm-up round (tsx's
 * transform cache, the OS file cache), then the median of three. The tsx start once more with 500
 * runtimes already on disk (the read model reads them all once at start-up).
 *
 * Idle: the CPU time of the tsx start's process group (tsx and the node process it starts), idle
 * for IDLE_S seconds once start-up has settled (SETTLE_MS), with 500 runtimes on disk and with the 5 demo runtimes,
 * beside tsx running a file that only waits: what the background work (engine ticks and sweeps,
 * the event log and its tail, the bot's notifier, tracker, outbox, approvals sweep and policy
 * watcher) costs when nothing happens.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { build, ENTRY_POINTS } from '../scripts/build';
import { FileStorage } from '../src/storage/fileStorage';
import { catalogueTags, seedRuntimes } from './lib/fixtures';
import { freePort, waitFor200 } from './lib/http';
import { figure, median, type SectionResult } from './lib/stats';

const SECTION = 'Start-up';
const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const REPEATS = 3;
const SEEDED = 500;
const IDLE_S = 30;
/**
 * After start-up, before the idle window: the first sweeps (every 30 s), the locks the seeded
 * records carry released, and V8's memory reducer done with the garbage of loading (it runs major
 * collections for a while after the allocation rate drops). Measured from 8 s, the window shows
 * that start-up tail instead: about 1.6 % of a core, falling to a quarter of a percent by 60 s.
 */
const SETTLE_MS = 60_000;

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

const TSX_START = [TSX, '--no-deprecation', 'src/index.ts'];

/**
 * Seconds from spawning `args` in `cwd` until the bot and the embedded service are ready, in a
 * fresh DATA_DIR with `seeded` runtimes already on disk (demo data when none); `whileUp` runs on
 * the ready product before it is stopped.
 */
async function product(
  args: string[],
  cwd = ROOT,
  o: { seeded?: number; whileUp?: (child: ChildProcess) => Promise<void>; logLevel?: string } = {},
): Promise<number> {
  const [port, servicePort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-start-'));
  if (o.seeded) {
    const tags = catalogueTags(path.join(ROOT, 'catalogue/promptflow-runtime-stable.json'));
    await seedRuntimes(new FileStorage(path.join(dataDir, 'service')), o.seeded, tags, Date.now());
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PLAYGROUND: 'false',
    DEMO_DATA: o.seeded ? 'false' : 'true',
    DATA_DIR: dataDir,
    PORT: String(port),
    RUNTIME_SERVICE_PORT: String(servicePort),
    LOG_LEVEL: o.logLevel ?? 'warn',
  };
  delete env.RUNTIME_SERVICE_URL; // embed the service, as a fresh clone does
  const t0 = performance.now();
  const child = start(args, env, cwd);
  try {
    await Promise.all([
      waitFor200(`http://127.0.0.1:${port}/readyz`),
      waitFor200(`http://127.0.0.1:${servicePort}/readyz`),
    ]);
    const seconds = (performance.now() - t0) / 1000;
    await o.whileUp?.(child);
    return seconds;
  } finally {
    await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU seconds (user + system) used so far by the processes of a process group, from /proc. */
function groupCpuSeconds(pgid: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command name (which may hold spaces): state ppid pgrp … utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

/** % of one core that a process group uses over IDLE_S seconds, once it has settled. */
async function groupIdlePercent(pgid: number): Promise<number> {
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const before = groupCpuSeconds(pgid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  return (100 * (groupCpuSeconds(pgid) - before)) / ((performance.now() - t0) / 1000);
}

/** The tsx start idle, as `npm start` runs it (info logs), with `seeded` runtimes: % of one core. */
async function idleCpu(seeded: number): Promise<number> {
  let percent = Number.NaN;
  await product(TSX_START, ROOT, {
    seeded,
    logLevel: 'info',
    whileUp: async (child) => {
      percent = await groupIdlePercent(child.pid!);
    },
  });
  return percent;
}

/** The floor: tsx running a file that only waits, measured the same way. */
async function tsxIdleCpu(file: string): Promise<number> {
  const child = start([TSX, '--no-deprecation', file]);
  try {
    return await groupIdlePercent(child.pid!);
  } finally {
    await stop(child);
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
  const waiting = path.join(dir, 'waiting.ts');
  writeFileSync(waiting, 'setInterval(() => undefined, 1000);\n');
  const compiledDir = await compiledBuild();
  const times = {
    product: [] as number[],
    seeded: [] as number[],
    compiled: [] as number[],
    node: [] as number[],
    tsx: [] as number[],
  };
  let idle: { seeded: number; demo: number; tsx: number };
  try {
    for (let round = 0; round <= REPEATS; round++) {
      const c = await product(['--no-deprecation', ENTRY_POINTS.bot], compiledDir);
      const p = await product(TSX_START);
      const q = await product(TSX_START, ROOT, { seeded: SEEDED });
      const n = await nodeHttp();
      const t = await tsxEmpty(empty);
      if (round === 0) continue; // warm-up
      times.compiled.push(c);
      times.product.push(p);
      times.seeded.push(q);
      times.node.push(n);
      times.tsx.push(t);
    }
    idle = { seeded: await idleCpu(SEEDED), demo: await idleCpu(0), tsx: await tsxIdleCpu(waiting) };
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
      figure(
        SECTION,
        `npm start (tsx) with ${SEEDED} runtimes on disk until both /readyz answer`,
        median(times.seeded),
        's',
        {
          name: 'with the 5 demo runtimes',
          value: app,
        },
      ),
      figure(SECTION, `idle CPU of npm start with ${SEEDED} runtimes on file storage`, idle.seeded, '% of a core', {
        name: 'goal: 1 % of a core',
        value: 1,
      }),
      figure(SECTION, `idle CPU of npm start with ${SEEDED} runtimes on file storage`, idle.seeded, '% of a core', {
        name: 'with the 5 demo runtimes',
        value: idle.demo,
      }),
      figure(SECTION, `idle CPU of npm start with ${SEEDED} runtimes on file storage`, idle.seeded, '% of a core', {
        name: 'tsx running a file that only waits',
        value: idle.tsx,
      }),
    ],
    notes: [
      `Median of ${REPEATS} after one warm-up round; runs: compiled ${list(times.compiled)} s, tsx start ` +
        `${list(times.product)} s, node ${list(times.node)} s, tsx empty ${list(times.tsx)} s. The product starts with demo data and file storage in a new folder each time.`,
      `The compiled start ${compiled < COMPILED_GOAL_S ? 'meets' : 'misses'} the goal of issue 18 (under ${COMPILED_GOAL_S} s): ${compiled.toFixed(2)} s.`,
      `With ${SEEDED} runtimes on disk (tsx start): ${list(times.seeded)} s.`,
      `Idle CPU: user + system time of the tsx start's process group (tsx and its node process, from /proc) over ` +
        `${IDLE_S} s, ${SETTLE_MS / 1000} s after it answered; LOG_LEVEL unset (info), workers on, no requests.`,
    ],
  };
}
