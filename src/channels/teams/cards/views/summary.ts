/**
 * The on-call summary card: counts by status, the retirement line (days left, runtimes still there),
 * then what is failing, outdated, about to shut down idle, in progress and changed in the last 24
 * hours; "All quiet" when nothing needs a look.
 */
import type { OnCallSummary, Reply, RetirementStatus } from '../../../../core/replies';
import type { AdaptiveCard } from '../render';
import {
  budget,
  capList,
  cardTime,
  cardWhen,
  DOT,
  dataName,
  kindLabel,
  operationOutcome,
  operationState,
  plural,
  renderWithin,
  run,
  safeText,
  statusColor,
  type TextColor,
  type TextRunData,
} from './common';
import { type RetirementLineData, summaryRetirement } from './retirementLine';

type SummaryReply = Extract<Reply, { kind: 'summary' }>;

/** Rows per section; the rest is counted ("and 12 more"). */
export const SUMMARY_ROWS = 10;
const MAX_STATUSES = 8;

export interface SummarySection<R> {
  show: boolean;
  title: string;
  rows: R[];
  more: number;
  moreText: string;
}

export interface FailingRow {
  name: string;
  dataName: string;
  status: string;
  color: TextColor;
  reason: string;
}

export interface OutdatedRow {
  name: string;
  /** " · 1.2.0 → 1.4.0" */
  versions: string;
}

export interface IdleRow {
  name: string;
  when: string;
}

export interface BusyRow {
  name: string;
  what: string;
}

export interface RecentRow {
  name: string;
  kind: string;
  outcome: string;
  color: TextColor;
  detail: string;
}

export interface SummaryCardData {
  title: string;
  subtitle: string;
  counts: TextRunData[];
  retirement: RetirementLineData;
  quiet: boolean;
  failing: SummarySection<FailingRow>;
  outdated: SummarySection<OutdatedRow>;
  idle: SummarySection<IdleRow>;
  busy: SummarySection<BusyRow>;
  recent: SummarySection<RecentRow>;
}

export function summaryCard(reply: SummaryReply): AdaptiveCard {
  return renderWithin('summary', (scale) => summaryData(reply.summary, scale, reply.title, reply.retirement));
}

export function summaryData(
  s: OnCallSummary,
  scale = 1,
  title = 'On-call summary',
  retirement?: RetirementStatus,
): SummaryCardData {
  const b = (max: number) => budget(max, scale);
  const now = Date.parse(s.generatedAt);
  const clock = Number.isNaN(now) ? Date.now() : now;
  const name = (n: string) => safeText(n, b(60));
  return {
    title,
    subtitle: `${plural(s.total, 'runtime')} · as of ${cardTime(s.generatedAt)}`,
    counts: counts(s, b),
    retirement: summaryRetirement(retirement),
    quiet: s.failing.length + s.outdated.length + s.busy.length === 0,
    failing: section(`Failing (${s.failing.length})`, s.failing, (f) => ({
      name: name(f.name),
      dataName: dataName(f.name),
      status: safeText(f.status, b(30)),
      color: statusColor(f.status),
      reason: safeText(f.reason, b(200), 'No reason given.'),
    })),
    outdated: section(
      `Outdated (${s.outdated.length})${s.latestVersion ? ` — latest is ${safeText(s.latestVersion, b(40))}` : ''}`,
      s.outdated,
      (o) => ({
        name: name(o.name),
        versions: `${DOT}${safeText(o.imageVersion, b(40), 'unknown')} → ${safeText(o.latestVersion ?? s.latestVersion, b(40), 'latest')}`,
      }),
    ),
    idle: section(`Idle shutdown within the hour (${s.idleSoon.length})`, s.idleSoon, (i) => ({
      name: name(i.name),
      when: `${DOT}at ${cardWhen(i.at, clock)}`,
    })),
    busy: section(`In progress (${s.busy.length})`, s.busy, (o) => ({
      name: name(o.name),
      what: `${DOT}${kindLabel(o.kind)} by ${safeText(o.by, b(60))}`,
    })),
    recent: section(`Changed in the last 24 hours (${s.recent.length})`, s.recent, (r) => ({
      name: name(r.name),
      kind: `${DOT}${kindLabel(r.kind)} `,
      outcome: operationOutcome(r.status),
      color: operationState(r.status).color,
      detail: ` by ${safeText(r.by, b(60))}${DOT}${cardWhen(r.at, clock)}`,
    })),
  };
}

function section<T, R>(title: string, items: readonly T[], row: (item: T) => R): SummarySection<R> {
  const { shown, more } = capList(items, SUMMARY_ROWS);
  return { show: items.length > 0, title, rows: shown.map(row), more, moreText: `and ${more} more` };
}

/** "12 Running · 2 Failed · 1 Starting", coloured by status, busiest first. */
function counts(s: OnCallSummary, b: (n: number) => number): TextRunData[] {
  const entries = Object.entries(s.byStatus).sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
  if (entries.length === 0)
    return [run(s.total === 0 ? 'No runtimes yet.' : 'No status reported.', { isSubtle: true })];
  const { shown, more } = capList(entries, MAX_STATUSES);
  const runs: TextRunData[] = [];
  shown.forEach(([status, n], i) => {
    if (i > 0) runs.push(run(DOT, { isSubtle: true }));
    runs.push(run(`${n} ${safeText(status, b(30))}`, { color: statusColor(status), weight: 'Bolder' }));
  });
  if (more > 0) {
    const rest = entries.slice(MAX_STATUSES).reduce((sum, [, n]) => sum + n, 0);
    runs.push(run(`${DOT}${rest} in ${plural(more, 'other status', 'other statuses')}`, { isSubtle: true }));
  }
  return runs;
}
