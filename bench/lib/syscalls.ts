/**
 * Counts the system calls of a running process, every thread included (libuv's file I/O runs on
 * its thread pool), with `strace -c -f -p`. strace slows the process down a lot, so sections count
 * in a window of their own, after the timed rounds. Without strace (or without permission to
 * attach) the count is undefined and the section says so.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SyscallCount {
  total: number;
  /** The most frequent calls, most frequent first. */
  top: { name: string; calls: number }[];
}

export function straceAvailable(): boolean {
  return spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** The system calls `pid` makes while `work` runs; undefined when strace cannot attach. */
export async function countSyscalls(pid: number, work: () => Promise<void>): Promise<SyscallCount | undefined> {
  if (!straceAvailable()) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-strace-'));
  const out = path.join(dir, 'summary.txt');
  const strace = spawn('strace', ['-c', '-f', '-p', String(pid), '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    if (!(await attached(strace))) return undefined;
    await new Promise((r) => setTimeout(r, 200)); // every thread attached
    await work();
    const exited = new Promise((r) => strace.once('exit', r));
    strace.kill('SIGINT'); // detaches and writes the summary
    await exited;
    return parse(readFileSync(out, 'utf8'));
  } catch {
    return undefined;
  } finally {
    if (strace.exitCode === null) strace.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

function attached(strace: ChildProcess): Promise<boolean> {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => resolve(false), 5000);
    strace.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (/attached/i.test(text)) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    strace.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/** strace -c's table: `% time seconds usecs/call calls [errors] syscall`, then a total line. */
function parse(text: string): SyscallCount | undefined {
  const rows: { name: string; calls: number }[] = [];
  let total: number | undefined;
  for (const line of text.split('\n')) {
    const tokens = line.trim().split(/\s+/);
    if (tokens.length < 5 || !/^\d+\.\d+$/.test(tokens[0])) continue;
    const name = tokens.at(-1)!;
    const calls = Number(tokens[3]);
    if (!Number.isFinite(calls)) continue;
    if (name === 'total') total = calls;
    else rows.push({ name, calls });
  }
  // strace writes no table at all when the process made no call.
  if (total === undefined) return text.trim() === '' ? { total: 0, top: [] } : undefined;
  return { total, top: rows.sort((a, b) => b.calls - a.calls).slice(0, 6) };
}
