/** The fuzz run's block detector: a busy loop is a block, waiting is not. */
import { describe, expect, it } from 'vitest';
import { type Block, mainThreadCpuMs, startEventLoopProbe } from './eventLoopProbe';

async function watch(during: () => Promise<void> | void): Promise<Block[]> {
  const blocks: Block[] = [];
  const probe = startEventLoopProbe(100, (block) => blocks.push(block));
  await new Promise((resolve) => setTimeout(resolve, 20));
  await during();
  await new Promise((resolve) => setTimeout(resolve, 20));
  probe.stop();
  return blocks;
}

describe('startEventLoopProbe', () => {
  it('should report 300 ms of synchronous work, however busy the machine', async () => {
    const blocks = await watch(() => {
      const until = mainThreadCpuMs() + 300;
      while (mainThreadCpuMs() < until); // a turn that never yields
    });
    expect(blocks).toHaveLength(1);
    expect(blocks[0].cpuMs).toBeGreaterThanOrEqual(250);
  });

  it('should read the CPU time of the main thread only', () => {
    expect(mainThreadCpuMs()).toBeGreaterThan(0);
    expect(mainThreadCpuMs()).toBeLessThanOrEqual((process.cpuUsage().user + process.cpuUsage().system) / 1000 + 20);
  });

  it('should not report 300 ms of waiting', async () => {
    expect(await watch(() => new Promise((resolve) => setTimeout(resolve, 300)))).toEqual([]);
  });
});
