/** Forks bench/lib/target.ts and speaks its little IPC protocol: wait for the URL, ask for memory, stop. */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { Memory, TargetKind } from './target';

export interface Target {
  kind: TargetKind;
  url: string;
  /** Memory after start-up, before any runtimes were written (after GC). */
  before: Memory;
  /** The embedded runtime service of a bot target. */
  serviceUrl?: string;
  memory(): Promise<Memory>;
  /** Spans the target exported so far, its batch flushed first (bot-traced; 0 for the others). */
  spans(): Promise<number>;
  stop(): Promise<void>;
}

export async function forkTarget(kind: TargetKind, runtimes = 0): Promise<Target> {
  const child: ChildProcess = fork(path.join(__dirname, 'target.ts'), [kind, String(runtimes)], {
    cwd: path.resolve(__dirname, '../..'),
    execArgv: ['--expose-gc', '--no-deprecation', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  type Ready = { url: string; before: Memory; serviceUrl?: string };
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Ready));
    child.once('exit', (code) => reject(new Error(`target ${kind} exited with ${code} before listening`)));
  });
  return {
    kind,
    url: ready.url,
    before: ready.before,
    ...(ready.serviceUrl ? { serviceUrl: ready.serviceUrl } : {}),
    memory: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve((m as { memory: Memory }).memory));
        child.send({ cmd: 'memory' });
      }),
    spans: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve((m as { spans: number }).spans));
        child.send({ cmd: 'spans' });
      }),
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
