/**
 * What the fake workspace's parts share: its configuration (names, location, the latest image tag, timings, clock,
 * how long a synchronous write may hold its answer), the caller, and lazy transitions. A transition (a runtime's
 * create, update or delete, a session operation) finishes when it has been observed `timing.polls` times or
 * `timing.ms` have passed on the clock, whichever comes first; with neither, at once.
 */
import type { Clock } from '../../../src/clock';

export interface Timing {
  /** Finish after this many observations (GETs of the runtime, or polls of the operation). */
  polls?: number;
  /** Finish after this many ms on the clock. */
  ms?: number;
}

export interface Pending {
  startedAt: number;
  reads: number;
  timing: Timing;
  finish: () => void;
}

export interface Principal {
  clientId: string;
  objectId: string;
  tenantId: string;
}

export interface WorkspaceConfig {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
  location: string;
  latestVersion: string;
  runtimeTiming: Timing;
  sessionTiming: Timing;
  /**
   * A FlowRuntimes write without `asyncCall=true` answers only when its change is done; past this many real ms
   * it answers 504, as the gateway in front of a call that takes minutes would, and the change goes on.
   */
  syncWriteLimitMs: number;
  clock: Clock;
}

export const IMAGE_REPOSITORY = 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable';

export const isDone = (p: Pending, now: number): boolean =>
  (p.timing.polls === undefined && p.timing.ms === undefined) ||
  (p.timing.polls !== undefined && p.reads >= p.timing.polls) ||
  (p.timing.ms !== undefined && now - p.startedAt >= p.timing.ms);

export function compareTags(a: string, b: string): number | undefined {
  const parse = (t: string): [number, number] | undefined => {
    const m = /^(\d{8})\.v(\d+)$/.exec(t);
    return m ? [Number(m[1]), Number(m[2])] : undefined;
  };
  const va = parse(a);
  const vb = parse(b);
  return va && vb ? va[0] - vb[0] || va[1] - vb[1] : undefined;
}
