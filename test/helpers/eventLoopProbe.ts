/**
 * Finds stretches where the event loop was busy running JavaScript for longer than a limit. A timer
 * ticks every few milliseconds; a late tick is a block when the main thread also spent more than
 * the limit on the CPU in the gap. The CPU test matters on a shared machine: a process that is simply
 * not scheduled for a while, which no code of ours causes, sees its timers run late too.
 *
 * The main thread's CPU time comes from /proc/self/task/<pid>/stat (Linux, 10 ms resolution), so that
 * GC helper threads do not count; elsewhere the process's CPU time stands in for it.
 * `onBlock` is told each block, to attach what was in flight.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface Block {
  ms: number;
  cpuMs: number;
}

export function startEventLoopProbe(limitMs: number, onBlock: (block: Block) => void): { stop(): void } {
  const tickMs = 5;
  let last = performance.now();
  let lastCpu = mainThreadCpuMs();
  const timer = setInterval(() => {
    const now = performance.now();
    const cpu = mainThreadCpuMs();
    const gap = now - last - tickMs;
    const cpuMs = cpu - lastCpu;
    if (gap > limitMs && cpuMs > limitMs) onBlock({ ms: Math.round(gap), cpuMs: Math.round(cpuMs) });
    last = now;
    lastCpu = cpu;
  }, tickMs);
  return { stop: () => clearInterval(timer) };
}

const STAT = `/proc/self/task/${process.pid}/stat`;
const MS_PER_TICK = 10; // USER_HZ is 100 on Linux

/** CPU time the main thread has used, in ms. */
export function mainThreadCpuMs(): number {
  try {
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime
    // are the 12th and 13th of them.
    const stat = readFileSync(STAT, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  }
}
