/**
 * The retirement inventory card: how long prompt flow has left (or that it has retired, with what
 * still works), how many runtimes call for each step, then one page of runtimes, each with its
 * owner, type, status, last use, idle time and next step, and a Stop button for those the viewer may
 * stop (the click goes through the approval rules like any change). Paged, so 1,000 runtimes fit.
 */
import type { NextStep, Reply } from '../../../../core/replies';
import { afterRetirement, retirementHeadline, WHAT_HAPPENS } from '../../../../core/retirement/retirementText';
import type { AdaptiveCard } from '../render';
import { Verb } from '../../../../core/actions/verbs';
import {
  type ActionData,
  actionData,
  budget,
  cardTime,
  DOT,
  dataName,
  personName,
  plural,
  renderWithin,
  run,
  safeText,
  statusColor,
  type TextColor,
  type TextRunData,
  typeLabel,
} from './common';

type RetirementReply = Extract<Reply, { kind: 'retirement' }>;

/** Rows one card shows at most: the command's page size. */
export const MAX_RETIREMENT_ROWS = 15;

export interface RetirementRowData {
  name: string;
  dataName: string;
  status: string;
  statusColor: TextColor;
  /** " · Compute session · Alex Wilber" */
  facts: string;
  /** "Last used Jan 5, 2027 10:00 AM · idle 3 days" */
  used: string;
  step: string;
  stepColor: TextColor;
  advice: string;
  canStop: boolean;
}

export interface RetirementCardData {
  headline: string;
  style: 'warning' | 'attention';
  about: string;
  retired: boolean;
  works: string;
  gone: string;
  steps: TextRunData[];
  subtitle: string;
  empty: boolean;
  rows: RetirementRowData[];
  more: number;
  moreText: string;
  hasPrevious: boolean;
  previous: ActionData<{ page: number }>;
  hasNext: boolean;
  next: ActionData<{ page: number }>;
  refresh: ActionData<{ page: number }>;
}

const STEPS: Record<NextStep, { label: string; plan: string; color: TextColor }> = {
  stop: { label: 'Stop it', plan: 'to stop', color: 'Attention' },
  export: { label: 'Export its flow', plan: 'to export', color: 'Accent' },
  migrate: { label: 'Move it to Agent Framework', plan: 'to move to Agent Framework', color: 'Warning' },
};

export function retirementCard(reply: RetirementReply): AdaptiveCard {
  return renderWithin('retirement', (scale) => retirementData(reply, scale));
}

export function retirementData(reply: RetirementReply, scale = 1): RetirementCardData {
  const b = (max: number) => budget(max, scale);
  const s = reply.retirement;
  const urgent = s.phase === 'retired' || s.daysLeft <= 30;
  const pages = Math.max(1, reply.pages);
  const shown = reply.rows.slice(0, MAX_RETIREMENT_ROWS);
  const more = reply.rows.length - shown.length;
  const stoppable = new Set(reply.stoppable);
  const page = (n: number) => actionData(Verb.RetirementPage, { page: n });
  const { works, gone } = afterRetirement();
  return {
    headline: retirementHeadline(s),
    style: urgent ? 'attention' : 'warning',
    about: s.phase === 'retired' ? 'Runtimes the service still lists are below.' : WHAT_HAPPENS,
    retired: s.phase === 'retired',
    works,
    gone,
    steps: steps(reply),
    subtitle: [plural(reply.total, 'runtime'), pages > 1 ? `page ${reply.page} of ${pages}` : '', 'longest idle first']
      .filter(Boolean)
      .join(DOT),
    empty: shown.length === 0,
    rows: shown.map((row) => ({
      name: safeText(row.name, b(80)),
      dataName: dataName(row.name),
      status: safeText(row.status, b(30)),
      statusColor: statusColor(row.status),
      facts: `${DOT}${typeLabel(row.type)}${DOT}${personName(row.owner, b(60))}`,
      used: `${row.lastUsedOn ? `Last used ${cardTime(row.lastUsedOn)}` : 'Last use not recorded'}${DOT}${idle(row.idleDays)}`,
      step: STEPS[row.next].label,
      stepColor: STEPS[row.next].color,
      advice: ` — ${safeText(row.advice, b(200))}`,
      canStop: stoppable.has(row.name),
    })),
    more,
    moreText: `${plural(more, 'more runtime')} on this page not shown.`,
    hasPrevious: reply.page > 1,
    previous: page(Math.max(1, reply.page - 1)),
    hasNext: reply.page < pages,
    next: page(Math.min(pages, reply.page + 1)),
    refresh: page(Math.min(Math.max(1, reply.page), pages)),
  };
}

function idle(days: number): string {
  if (days < 1) return 'idle less than a day';
  return `idle ${plural(days, 'day')}`;
}

/** "3 to stop · 20 to export · 2 to move to Agent Framework", each in its step's colour. */
function steps(reply: RetirementReply): TextRunData[] {
  const runs: TextRunData[] = [];
  for (const step of ['stop', 'export', 'migrate'] as const) {
    const n = reply.steps[step];
    if (!n) continue;
    if (runs.length) runs.push(run(DOT, { isSubtle: true }));
    runs.push(run(`${n} ${STEPS[step].plan}`, { color: STEPS[step].color, weight: 'Bolder' }));
  }
  return runs.length ? runs : [run('No runtime is left: nothing to stop, export or move.', { color: 'Good' })];
}
