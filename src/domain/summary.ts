/**
 * The on-call summary: one look answers what is failing, what is outdated, what changed. The
 * runtime service computes it (`GET /v1/summary`) next to the records, so a chat turn moves a few
 * KB instead of every runtime.
 */
import type { Runtime } from './runtime';

export interface OnCallSummary {
  total: number;
  byStatus: Record<string, number>;
  failing: { name: string; status: string; reason: string }[];
  outdated: { name: string; imageVersion?: string; latestVersion?: string }[];
  idleSoon: { name: string; at: string }[];
  busy: { name: string; kind: string; by: string }[];
  recent: { name: string; kind: string; status: string; by: string; at: string }[];
  latestVersion?: string;
  generatedAt: string;
}

const IDLE_WINDOW_MS = 60 * 60_000;
const RECENT_MS = 24 * 60 * 60_000;

export function buildSummary(runtimes: Runtime[], now: number): OnCallSummary {
  const byStatus: Record<string, number> = {};
  for (const r of runtimes) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  const who = (p: { name?: string; objectId: string }) => p.name ?? p.objectId;
  return {
    total: runtimes.length,
    byStatus,
    failing: runtimes
      .filter((r) => r.status === 'Failed' || r.status === 'Unavailable')
      .map((r) => ({
        name: r.name,
        status: r.status,
        reason: firstLine(r.error?.details) ?? r.error?.message ?? r.statusMessage ?? 'no reason given',
      })),
    outdated: runtimes
      .filter((r) => r.outdated)
      .map((r) => ({ name: r.name, imageVersion: r.imageVersion, latestVersion: r.latestVersion })),
    idleSoon: runtimes
      .filter((r) => r.idleShutdownAt && Date.parse(r.idleShutdownAt) - now <= IDLE_WINDOW_MS)
      .map((r) => ({ name: r.name, at: r.idleShutdownAt! }))
      .sort((a, b) => a.at.localeCompare(b.at)),
    busy: runtimes
      .filter((r) => r.activeOperation)
      .map((r) => ({ name: r.name, kind: r.activeOperation!.kind, by: who(r.activeOperation!.requestedBy) })),
    recent: runtimes
      .filter((r) => r.lastOperation?.endedOn && now - Date.parse(r.lastOperation.endedOn) <= RECENT_MS)
      .map((r) => ({
        name: r.name,
        kind: r.lastOperation!.kind,
        status: r.lastOperation!.status,
        by: who(r.lastOperation!.requestedBy),
        at: r.lastOperation!.endedOn!,
      }))
      .sort((a, b) => b.at.localeCompare(a.at))
      .slice(0, 10),
    latestVersion: runtimes.find((r) => r.latestVersion)?.latestVersion,
    generatedAt: new Date(now).toISOString(),
  };
}

/**
 * Until when `buildSummary(runtimes, t)` keeps the same sections as at `now` (only its
 * `generatedAt` moves): the first moment a runtime enters the idle window or leaves the 24 hours
 * of recent changes, and never later than `maxAgeMs` from now. A cache of the summary is good
 * until then, unless the runtimes change.
 */
export function summaryValidUntil(runtimes: readonly Runtime[], now: number, maxAgeMs: number): number {
  let until = now + maxAgeMs;
  for (const r of runtimes) {
    const idleAt = r.idleShutdownAt ? Date.parse(r.idleShutdownAt) - IDLE_WINDOW_MS : Number.NaN;
    if (idleAt > now) until = Math.min(until, idleAt);
    const recentUntil = r.lastOperation?.endedOn ? Date.parse(r.lastOperation.endedOn) + RECENT_MS + 1 : Number.NaN;
    if (recentUntil > now) until = Math.min(until, recentUntil);
  }
  return until;
}

function firstLine(text: string | undefined): string | undefined {
  return text
    ?.split('\n')
    .find((l) => l.trim())
    ?.slice(0, 300);
}
