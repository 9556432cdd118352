/**
 * The retirement inventory: every runtime with who owns it, when it was last used, how long it has
 * been idle, and the next step before prompt flow goes away: stop it (idle or broken), export its
 * flow (in use), or move its endpoint to Microsoft Agent Framework (it serves traffic).
 */
import type { Person, Runtime, RuntimeType } from '../../domain/runtime';
import type { RetirementPhase } from './calendar';

export type NextStep = 'stop' | 'export' | 'migrate';

export interface InventoryRow {
  name: string;
  type: RuntimeType;
  status: string;
  owner: Person;
  /** When the runtime last ran something, if the service knows. */
  lastUsedOn?: string;
  /** The last sign of use: last use, else the last change, else creation. */
  idleSince: string;
  idleDays: number;
  next: NextStep;
  /** Why this step, in a sentence. */
  advice: string;
  /** A change is running on it: it cannot be stopped right now. */
  busy: boolean;
  imageVersion?: string;
}

/** Unused this long, a runtime is idle: stopping it costs nobody anything. */
export const IDLE_DAYS = 7;

const DAY_MS = 86_400_000;

export function inventoryRow(r: Runtime, now: number, phase: RetirementPhase): InventoryRow {
  const idleSince = r.lastUsedOn ?? r.lastOperation?.endedOn ?? r.modifiedOn ?? r.createdOn;
  const at = Date.parse(idleSince);
  const idleDays = Number.isNaN(at) ? 0 : Math.max(0, Math.floor((now - at) / DAY_MS));
  const { next, advice } = nextStep(r, idleDays, phase);
  return {
    name: r.name,
    type: r.type,
    status: r.status,
    owner: r.owner,
    ...(r.lastUsedOn ? { lastUsedOn: r.lastUsedOn } : {}),
    idleSince,
    idleDays,
    next,
    advice,
    busy: r.activeOperation !== undefined,
    ...(r.imageVersion ? { imageVersion: r.imageVersion } : {}),
  };
}

function nextStep(r: Runtime, idleDays: number, phase: RetirementPhase): { next: NextStep; advice: string } {
  if (phase === 'retired')
    return {
      next: 'stop',
      advice: 'Prompt flow has retired: this runtime runs nothing now. Stop it to release its compute.',
    };
  if (r.status === 'Failed' || r.status === 'Unavailable')
    return {
      next: 'stop',
      advice: `${r.status === 'Failed' ? 'It failed' : 'It is unavailable'}: export its flow if you still need it, then stop it.`,
    };
  if (idleDays >= IDLE_DAYS) return { next: 'stop', advice: `Unused for ${idleDays} days: stop it.` };
  if (r.type === 'managedOnlineDeployment')
    return {
      next: 'migrate',
      advice: 'It serves an endpoint: rebuild the flow in Microsoft Agent Framework and move the traffic there.',
    };
  return {
    next: 'export',
    advice: 'In use: export its flow (the folder with flow.dag.yaml) and rebuild it in Microsoft Agent Framework.',
  };
}

/** Longest idle first (the easiest wins), then by name: a stable order for paging. */
export function byIdleness(a: InventoryRow, b: InventoryRow): number {
  return (Date.parse(a.idleSince) || 0) - (Date.parse(b.idleSince) || 0) || a.name.localeCompare(b.name);
}

/** How many rows call for each step. */
export function countSteps(rows: readonly InventoryRow[]): Record<NextStep, number> {
  const counts: Record<NextStep, number> = { stop: 0, export: 0, migrate: 0 };
  for (const row of rows) counts[row.next]++;
  return counts;
}
