/** The runtime list card: one row per runtime with a Details button, and paging. */
import type { Reply } from '../../../../core/replies';
import type { AdaptiveCard } from '../render';
import { Verb } from '../../../../core/actions/verbs';
import {
  type ActionData,
  actionData,
  budget,
  dataName,
  personName,
  plural,
  renderWithin,
  safeText,
  statusColor,
  type TextColor,
  typeLabel,
} from './common';

type RuntimeListReply = Extract<Reply, { kind: 'runtimeList' }>;

/**
 * Rows one card shows at most: the list command's page size. Fifteen rows of the widest text (3 bytes
 * a character) fill about 26 KB, so a caller that passes more sees the rest counted, not shown.
 */
export const MAX_LIST_ROWS = 15;

export interface ListPageData {
  page: number;
  status?: string;
  type?: string;
}

export interface RuntimeListRow {
  name: string;
  /** The name as action data. */
  dataName: string;
  status: string;
  statusColor: TextColor;
  outdated: boolean;
  type: string;
  owner: string;
}

export interface RuntimeListCardData {
  title: string;
  subtitle: string;
  empty: boolean;
  emptyText: string;
  showCreate: boolean;
  rows: RuntimeListRow[];
  more: number;
  moreText: string;
  hasPrevious: boolean;
  previous: ActionData<ListPageData>;
  hasNext: boolean;
  next: ActionData<ListPageData>;
  refresh: ActionData<ListPageData>;
}

export function runtimeListCard(reply: RuntimeListReply): AdaptiveCard {
  return renderWithin('runtimeList', (scale) => runtimeListData(reply, scale));
}

export function runtimeListData(reply: RuntimeListReply, scale = 1): RuntimeListCardData {
  const filter = reply.filter ? safeText(reply.filter, budget(120, scale)) : '';
  const pages = Math.max(1, reply.pages);
  const paging = pages > 1 ? `page ${reply.page} of ${pages}` : '';
  const shown = reply.runtimes.slice(0, MAX_LIST_ROWS);
  const more = reply.runtimes.length - shown.length;
  const args = filterArgs(reply);
  const page = (n: number) => actionData(Verb.ListPage, { page: n, ...args });
  return {
    title: reply.total === 0 ? 'Runtimes' : `Runtimes (${reply.total})`,
    subtitle: [filter, paging].filter(Boolean).join(' · ') || 'All runtimes',
    empty: reply.total === 0 || reply.runtimes.length === 0,
    emptyText:
      reply.total === 0
        ? filter
          ? `No runtimes match ${filter}.`
          : 'There are no runtimes yet.'
        : 'This page is empty.',
    showCreate: reply.total === 0 && !reply.filter,
    rows: shown.map((r) => ({
      name: safeText(r.name, budget(80, scale)),
      dataName: dataName(r.name),
      status: safeText(r.status, budget(30, scale)),
      statusColor: statusColor(r.status),
      outdated: r.outdated,
      type: typeLabel(r.type),
      owner: personName(r.owner, budget(50, scale)),
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

/**
 * The list's filters as paging data. The reply carries them only as display text ("status Failed,
 * type automatic"), so they are read back from it; explicit `status`/`type` fields win if present.
 */
function filterArgs(reply: RuntimeListReply): Omit<ListPageData, 'page'> {
  const explicit = reply as RuntimeListReply & { status?: unknown; type?: unknown };
  const text = reply.filter ?? '';
  const status =
    typeof explicit.status === 'string' ? explicit.status : /(?:^|, )status ([^,\s]+)(?=,|$)/.exec(text)?.[1];
  const type = typeof explicit.type === 'string' ? explicit.type : /(?:^|, )type ([^,\s]+)(?=,|$)/.exec(text)?.[1];
  return {
    ...(status ? { status: status.trim().slice(0, 64) } : {}),
    ...(type ? { type: type.trim().slice(0, 64) } : {}),
  };
}
