/**
 * The runtime alert card: a failure with its reason and Retry/Reset/View, or an idle shutdown
 * warning or notice. Times use the client's DATE/TIME functions, so each reader sees local time.
 */
import type { Reply, RuntimeAlert } from '../../../../core/replies';
import { alertTitle } from '../../../../core/notifications/alertText';
import type { AdaptiveCard } from '../render';
import {
  budget,
  cardTime,
  DOT,
  dataName,
  kindLabel,
  renderWithin,
  safeLines,
  safeText,
  type TextColor,
} from './common';

type AlertReply = Extract<Reply, { kind: 'alert' }>;

export interface AlertCardData {
  title: string;
  color: TextColor;
  style: 'attention' | 'warning' | 'emphasis';
  name: string;
  dataName: string;
  hasWhat: boolean;
  what: string;
  message: string;
  hasBy: boolean;
  by: string;
  hasReason: boolean;
  reasonLines: string[];
  reasonCut: boolean;
  kind: string;
  retry: boolean;
  reset: boolean;
  view: boolean;
}

export function alertCard(reply: AlertReply): AdaptiveCard {
  return renderWithin('alert', (scale) => alertData(reply.alert, scale));
}

export function alertData(a: RuntimeAlert, scale = 1): AlertCardData {
  const b = (max: number) => budget(max, scale);
  const reason = safeLines(a.reason, 12, b(1500));
  const failure = a.kind === 'failure';
  return {
    title: alertTitle(a),
    color: failure ? 'Attention' : 'Warning',
    style: failure ? 'attention' : 'warning',
    name: safeText(a.runtime, b(120)),
    dataName: dataName(a.runtime),
    hasWhat: !!a.operationKind,
    what: a.operationKind ? `${DOT}${kindLabel(a.operationKind)} failed` : '',
    message: messageOf(a),
    hasBy: !!a.by,
    by: safeText(a.by, b(80)),
    hasReason: reason.lines.length > 0,
    reasonLines: reason.lines,
    reasonCut: reason.cut,
    kind: a.operationKind ?? '',
    retry: a.actions.includes('retry') && !!a.operationKind,
    reset: a.actions.includes('reset'),
    view: a.actions.includes('view'),
  };
}

function messageOf(a: RuntimeAlert): string {
  const at = cardTime(a.at);
  switch (a.kind) {
    case 'failure':
      return a.operationKind ? `It failed at ${at}.` : `It became unavailable at ${at}.`;
    case 'idleWarning':
      return `It will stop at ${at} because nobody has used it. Use it, or reset it, to keep it running.`;
    case 'idleStopped':
      return `It was stopped at ${at} after its idle time, and its compute was released. Say create to make it again.`;
  }
}
