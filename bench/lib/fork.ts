/**
 * Forks bench/lib/target.ts and speaks its little IPC protocol: wait for the URL, ask for memory or
 * storage calls, stop. A target's stdout (the product's log lines) goes to /dev/null: written, as
 * in production, but not onto the bench's report.
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { Memory, StorageKind, StorageUse, TargetKind } from './target';

export interface Target {
  kind: TargetKind;
  pid: number;
  url: string;
  /** Memory after start-up, before any runtimes were written (after GC). */
  before: Memory;
  /** Seconds spent writing the runtimes before start-up (0 when none were written). */
  seedSeconds: number;
  /** The embedded runtime service of a bot target. */
  serviceUrl?: string;
  memory(): Promise<Memory>;
  /** Storage calls since start-up or the last reset, per side. */
  storage(): Promise<StorageUse>;
  resetStorage(): Promise<void>;
  /** Spans the target exported so far, its batch flushed first (bot-traced; 0 for the others). */
  spans(): Promise<number>;
  stop(): Promise<void>;
}

export interface ForkOptions {
  runtimes?: number;
  storage?: StorageKind;
  /** The target's whole environment (default this process's): the product reads its configuration there. */
  env?: NodeJS.ProcessEnv;
}

export async function forkTarget(kind: TargetKind, options: ForkOptions = {}): Promise<Target> {
  const args = [kind, String(options.runtimes ?? 0), options.storage ?? 'memory'];
  const child: ChildProcess = fork(path.join(__dirname, 'target.ts'), args, {
    cwd: path.resolve(__dirname, '../..'),
    env: options.env ?? process.env,
    execArgv: ['--expose-gc', '--no-deprecation', '--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  type Ready = { url: string; before: Memory; serviceUrl?: string; seedSeconds?: number };
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Ready));
    child.once('exit', (code) => reject(new Error(`target ${kind} exited with ${code} before listening`)));
  });
  const ask = <T>(cmd: string, pick: (m: Record<string, unknown>) => T | undefined) =>
    new Promise<T>((resolve) => {
      const listener = (m: unknown) => {
        const value = pick(m as Record<string, unknown>);
        if (value === undefined) return;
        child.off('message', listener);
        resolve(value);
      };
      child.on('message', listener);
      child.send({ cmd });
    });
  return {
    kind,
    pid: child.pid!,
    url: ready.url,
    before: ready.before,
    seedSeconds: ready.seedSeconds ?? 0,
    ...(ready.serviceUrl ? { serviceUrl: ready.serviceUrl } : {}),
    memory: () => ask('memory', (m) => m.memory as Memory | undefined),
    storage: () => ask('storage', (m) => m.storage as StorageUse | undefined),
    resetStorage: async () => {
      await ask('storage-reset', (m) => (m.reset === true ? true : undefined));
    },
    spans: () => ask('spans', (m) => (typeof m.spans === 'number' ? m.spans : undefined)),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
