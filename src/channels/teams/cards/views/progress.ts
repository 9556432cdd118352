/**
 * The progress card of an operation (the `operation` view model): its state in words and colour, the
 * latest steps, warnings, the error with an excerpt of pip's output, and Retry when it failed or
 * Refresh while it runs.
 */
import type { Reply } from '../../../../core/replies';
import type { OperationKind } from '../../../../domain/runtime';
import { type AdaptiveCard, clip } from '../render';
import {
  budget,
  cardClock,
  cardWhen,
  DOT,
  dataName,
  kindLabel,
  operationState,
  personName,
  plural,
  renderWithin,
  safeText,
  type TextColor,
} from './common';
import { type ErrorCardData, errorData } from './runtimeDetail';

type OperationReply = Extract<Reply, { kind: 'operation' }>;

/** Steps the card shows: the latest ones. */
export const PROGRESS_STEPS = 8;
const MAX_WARNINGS = 5;

export interface ProgressStep {
  time: string;
  message: string;
  color: TextColor;
}

export interface ProgressCardData {
  title: string;
  state: string;
  stateColor: TextColor;
  meta: string;
  steps: ProgressStep[];
  earlier: number;
  earlierText: string;
  warningsTitle: string;
  warnings: string[];
  hasError: boolean;
  error: ErrorCardData;
  operationText: string;
  /** Action data: the operation id, kind and runtime name, exactly as the service gave them. */
  operationId: string;
  kind: OperationKind;
  dataName: string;
  retry: boolean;
  refresh: boolean;
  view: boolean;
  list: boolean;
}

export function progressCard(reply: OperationReply, now: number = Date.now()): AdaptiveCard {
  return renderWithin('progress', (scale) => progressData(reply, now, scale));
}

export function progressData(reply: OperationReply, now: number = Date.now(), scale = 1): ProgressCardData {
  const b = (max: number) => budget(max, scale);
  const op = reply.operation;
  const state = operationState(op.status);
  const failed = op.status === 'Failed';
  const running = op.status === 'Running' || op.status === 'NotStarted';
  const steps = op.steps.slice(-PROGRESS_STEPS);
  const earlier = op.steps.length - steps.length;
  const warnings = op.warnings.filter((w) => w.trim());
  const shownWarnings = warnings.slice(0, MAX_WARNINGS).map((w) => safeText(w, b(300)));
  if (warnings.length > MAX_WARNINGS) shownWarnings.push(`and ${warnings.length - MAX_WARNINGS} more`);
  const when = op.endedOn ? `ended ${cardWhen(op.endedOn, now)}` : `started ${cardWhen(op.createdOn, now)}`;
  // A runtime that was stopped is gone: offer the list instead of its details.
  const gone = op.kind === 'stop' && op.status === 'Succeeded';
  return {
    title: safeText(reply.title, b(150), `${kindLabel(op.kind)} ${safeText(op.runtimeName, b(80))}`),
    state: state.text,
    stateColor: state.color,
    meta: `${DOT}${kindLabel(op.kind)} on ${safeText(op.runtimeName, b(80))}${DOT}by ${personName(op.requestedBy, b(60))}${DOT}${when}`,
    steps: steps.map((s) => ({
      time: cardClock(s.at),
      message: safeText(s.message, b(200)),
      color: s.status === 'Failed' ? 'Attention' : s.status === 'Succeeded' ? 'Good' : 'Default',
    })),
    earlier,
    earlierText: `${plural(earlier, 'earlier step')} not shown`,
    warningsTitle: warnings.length === 1 ? 'Warning' : 'Warnings',
    warnings: shownWarnings,
    hasError: failed || !!op.error,
    error: errorData(
      failed ? 'Why it failed' : 'Error',
      op.error ?? (failed ? { code: '', message: 'The operation failed without saying why.' } : undefined),
      scale,
    ),
    operationText: safeText(op.id, b(80)),
    operationId: clip(op.id, 200),
    kind: op.kind,
    dataName: dataName(op.runtimeName),
    retry: failed,
    refresh: running,
    view: !running && !gone,
    list: gone,
  };
}
