/**
 * Finds stretches where the event loop was busy running JavaScript for longer than a limit. A timer
 * ticks every few milliseconds; a late tick is a block only if the process also spent more than the
 * limit on the CPU in the gap: on a shared machine a process may simply not be scheduled for a while
 * (the gap then grows while its CPU time does not), which no code of ours causes. The CPU time counts
 * every thread of the process, GC helpers included, so it errs towards reporting a block.
 * `onBlock` is told each block, to attach what was in flight.
 */
import { performance } from 'node:perf_hooks';

export interface Block {
  ms: number;
  cpuMs: number;
}

export function startEventLoopProbe(limitMs: number, onBlock: (block: Block) => void): { stop(): void } {
  const tickMs = 5;
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  const timer = setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    const gap = now - last - tickMs;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    if (gap > limitMs && cpuMs > limitMs) onBlock({ ms: Math.round(gap), cpuMs: Math.round(cpuMs) });
    last = now;
    lastCpu = process.cpuUsage();
  }, tickMs);
  return { stop: () => clearInterval(timer) };
}
