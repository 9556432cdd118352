/**
 * Rerun: one pass at a time; calls during a pass join it and cause exactly one more pass; `more`
 * can end a run early; a pass that throws ends the run.
 */
import { describe, expect, it } from 'vitest';
import { Rerun } from '../../src/infra/rerun';

/** A pass that waits for `finish()` each time, counting how many ran and how many at once. */
function gatedPass() {
  const state = { passes: 0, running: 0, most: 0, finish: () => undefined as void };
  const pass = async () => {
    state.passes++;
    state.running++;
    state.most = Math.max(state.most, state.running);
    await new Promise<void>((resolve) => (state.finish = resolve));
    state.running--;
  };
  return { state, pass };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('Rerun', () => {
  it('should run one pass for one call', async () => {
    const { state, pass } = gatedPass();
    const rerun = new Rerun(pass);
    const run = rerun.run();
    expect(rerun.current).toBeDefined();
    state.finish();
    await run;
    expect(state.passes).toBe(1);
    expect(rerun.current).toBeUndefined();
  });

  it('should answer any number of calls during a pass with one more pass, never two at once', async () => {
    const { state, pass } = gatedPass();
    const rerun = new Rerun(pass);
    const first = rerun.run();
    const joined = [rerun.run(), rerun.run(), rerun.run()];
    state.finish();
    await turn();
    expect(state.passes).toBe(2); // the one more pass, started after the calls
    state.finish();
    await Promise.all([first, ...joined]);
    expect(state.passes).toBe(2);
    expect(state.most).toBe(1);
  });

  it('should skip the extra pass when `more` says there is nothing left to serve', async () => {
    const { state, pass } = gatedPass();
    let more = true;
    const rerun = new Rerun(pass, () => more);
    const first = rerun.run();
    void rerun.run();
    more = false;
    state.finish();
    await first;
    expect(state.passes).toBe(1);
  });

  it('should end a run whose pass throws, rejecting it, and run again on the next call', async () => {
    let calls = 0;
    const rerun = new Rerun(async () => {
      calls++;
      if (calls === 1) throw new Error('storage away');
    });
    await expect(rerun.run()).rejects.toThrow('storage away');
    await rerun.run();
    expect(calls).toBe(2);
  });
});
