/**
 * The runtime detail card: every field that is set, the operation under way, the last operation and
 * its error (with an excerpt of pip's output), and buttons for only the operations the viewer may
 * request.
 */
import type { Reply } from '../../../../core/replies';
import type { OperationKind, OperationSummary, Runtime, RuntimeError } from '../../../../domain/runtime';
import type { AdaptiveCard } from '../render';
import { Verb } from '../../../../core/actions/verbs';
import {
  budget,
  cardWhen,
  DOT,
  dataName,
  kindLabel,
  operationOutcome,
  operationState,
  personName,
  renderWithin,
  run,
  safeLines,
  safeText,
  statusColor,
  type TextRunData,
  typeLabel,
} from './common';

type RuntimeDetailReply = Extract<Reply, { kind: 'runtimeDetail' }>;

/** An error and an excerpt of the tool output behind it. */
export interface ErrorCardData {
  title: string;
  hasCode: boolean;
  /** The error code, as a subtle suffix: " · PipInstallFailed". */
  code: string;
  message: string;
  /** The first lines of `details`, shown monospace. */
  lines: string[];
  /** Whether `lines` leave part of `details` out. */
  cut: boolean;
}

export interface FactRow {
  label: string;
  runs: TextRunData[];
}

/** Which operation buttons the card shows; `edit` stands for the `update` operation. */
export interface DetailButtons {
  install: boolean;
  reset: boolean;
  edit: boolean;
  stop: boolean;
  upgrade: boolean;
}

export interface RuntimeDetailCardData {
  name: string;
  dataName: string;
  headline: TextRunData[];
  hasDescription: boolean;
  description: string;
  hasActive: boolean;
  active: TextRunData[];
  hasError: boolean;
  error: ErrorCardData;
  facts: FactRow[];
  hasLast: boolean;
  last: TextRunData[];
  hasLastError: boolean;
  lastError: ErrorCardData;
  hasActions: boolean;
  can: DetailButtons;
}

/** pip's output: its first lines carry the cause. */
const EXCERPT = { lines: 5, chars: 800 };
const MAX_PACKAGES = 12;

export function runtimeDetailCard(reply: RuntimeDetailReply, now: number = Date.now()): AdaptiveCard {
  return renderWithin('runtimeDetail', (scale) => runtimeDetailData(reply, now, scale));
}

export function runtimeDetailData(
  reply: RuntimeDetailReply,
  now: number = Date.now(),
  scale = 1,
): RuntimeDetailCardData {
  const r = reply.runtime;
  const b = (max: number) => budget(max, scale);
  const can: DetailButtons = {
    install: reply.actions.includes('install'),
    reset: reply.actions.includes('reset'),
    edit: reply.actions.includes('update'),
    stop: reply.actions.includes('stop'),
    upgrade: reply.actions.includes('upgrade'),
  };
  const headline = [
    run(typeLabel(r.type), { isSubtle: true }),
    run(DOT, { isSubtle: true }),
    run(safeText(r.status, b(30)), { color: statusColor(r.status), weight: 'Bolder' }),
  ];
  if (r.outdated) headline.push(run(DOT, { isSubtle: true }), run('Outdated', { color: 'Warning', weight: 'Bolder' }));

  const lastErr = r.lastOperation?.error;
  const showLastError = !!lastErr && !(r.error && sameError(r.error, lastErr));
  return {
    name: safeText(r.name, b(120)),
    dataName: dataName(r.name),
    headline,
    hasDescription: !!r.description?.trim(),
    description: safeText(r.description, b(300)),
    hasActive: !!r.activeOperation,
    active: r.activeOperation ? activeRuns(r.activeOperation, now, b) : [run('—')],
    hasError: !!r.error,
    error: errorData('Error', r.error, scale),
    facts: facts(r, now, b),
    hasLast: !!r.lastOperation,
    last: r.lastOperation ? lastRuns(r.lastOperation, now, b) : [run('—')],
    hasLastError: showLastError,
    lastError: errorData('Why it failed', showLastError ? lastErr : undefined, scale),
    hasActions: Object.values(can).some(Boolean),
    can,
  };
}

export function errorData(title: string, error: RuntimeError | undefined, scale = 1): ErrorCardData {
  if (!error) return { title, hasCode: false, code: '—', message: '—', lines: [], cut: false };
  const { lines, cut } = safeLines(error.details, EXCERPT.lines, budget(EXCERPT.chars, scale), budget(200, scale));
  return {
    title,
    hasCode: !!error.code?.trim(),
    code: `${DOT}${safeText(error.code, budget(60, scale))}`,
    message: safeText(error.message, budget(500, scale), 'No message given.'),
    lines,
    cut,
  };
}

function sameError(a: RuntimeError, b: RuntimeError): boolean {
  return a.code === b.code && a.message === b.message;
}

function activeRuns(op: OperationSummary, now: number, b: (n: number) => number): TextRunData[] {
  return [
    run('In progress: ', { weight: 'Bolder', color: 'Accent' }),
    run(kindLabel(op.kind), { weight: 'Bolder' }),
    run(` by ${personName(op.requestedBy, b(60))}`),
    run(`, started ${cardWhen(op.createdOn, now)}`, { isSubtle: true }),
  ];
}

function lastRuns(op: OperationSummary, now: number, b: (n: number) => number): TextRunData[] {
  const state = operationState(op.status);
  return [
    run(kindLabel(op.kind), { weight: 'Bolder' }),
    run(DOT, { isSubtle: true }),
    run(operationOutcome(op.status), { color: state.color, weight: 'Bolder' }),
    run(`${DOT}${cardWhen(op.endedOn ?? op.createdOn, now)}`, { isSubtle: true }),
    run(`${DOT}by ${personName(op.requestedBy, b(60))}`, { isSubtle: true }),
  ];
}

function facts(r: Runtime, now: number, b: (n: number) => number): FactRow[] {
  const rows: FactRow[] = [];
  const add = (label: string, ...runs: TextRunData[]) => rows.push({ label, runs });
  const text = (label: string, value: string | undefined, max = 80) => {
    if (value?.trim()) add(label, run(safeText(value, b(max))));
  };

  add(
    'Status',
    run(safeText(r.status, b(30)), { color: statusColor(r.status), weight: 'Bolder' }),
    ...(r.statusMessage?.trim() ? [run(` — ${safeText(r.statusMessage, b(300))}`)] : []),
  );
  add('Type', run(typeLabel(r.type)));
  if (r.imageVersion) {
    add(
      'Image version',
      run(safeText(r.imageVersion, b(40))),
      r.outdated
        ? run(` · Outdated — latest is ${safeText(r.latestVersion, b(40), 'unknown')}`, {
            color: 'Warning',
            weight: 'Bolder',
          })
        : run(' · latest', { color: 'Good' }),
    );
  } else {
    add('Image version', run('Custom image (not compared)', { isSubtle: true }));
  }
  text('Base image', r.baseImage, 160);
  text('VM size', r.vmSize, 40);
  if (r.idleTimeMinutes) {
    const next = r.idleShutdownAt ? [run(`${DOT}next at ${cardWhen(r.idleShutdownAt, now)}`, { isSubtle: true })] : [];
    add('Idle shutdown', run(`after ${r.idleTimeMinutes} min idle`), ...next);
  } else if (r.idleShutdownAt) {
    add('Idle shutdown', run(`next at ${cardWhen(r.idleShutdownAt, now)}`));
  }
  if (r.identity) {
    add(
      'Identity',
      run(
        r.identity.type === 'user'
          ? 'The user’s identity'
          : `User-assigned: ${safeText(r.identity.resourceId, b(200))}`,
      ),
    );
  }
  text('Compute', r.computeName);
  text('Compute instance', r.computeInstanceName);
  if (r.customApplication)
    add(
      'Custom application',
      run(safeText(r.customApplication.name, b(80))),
      run(` (${r.customApplication.mode === 'new' ? 'new' : 'existing'})`, { isSubtle: true }),
    );
  if (r.environment)
    add('Environment', run(r.environment.mode === 'default' ? 'Default' : safeText(r.environment.name, b(80))));
  text('Endpoint', r.endpointName);
  text('Deployment', r.deploymentName);
  text('Instance type', r.instanceType, 40);
  if (r.instanceCount !== undefined) add('Instances', run(String(r.instanceCount)));
  text('Requirements file', r.pythonRequirementsTxt, 160);
  if (r.packages?.length) {
    const shown = r.packages.slice(0, MAX_PACKAGES).map((p) => safeText(p, b(60)));
    const more = r.packages.length - shown.length;
    const runs = [run(shown.join(', ') + (more > 0 ? ` and ${more} more` : ''))];
    if (r.packagesInstalled === false) runs.push(run(' (not installed)', { color: 'Warning' }));
    add(r.packages.length === 1 ? 'Package' : 'Packages', ...runs);
  }
  add('Owner', run(personName(r.owner, b(80))));
  add('Created', run(cardWhen(r.createdOn, now)));
  add('Modified', run(cardWhen(r.modifiedOn, now)));
  if (r.lastUsedOn) add('Last used', run(cardWhen(r.lastUsedOn, now)));
  return rows;
}

/** The button each permitted operation gets (create has none). */
export const DETAIL_BUTTON_VERBS: Partial<Record<OperationKind, Verb>> = {
  install: Verb.OpenInstall,
  update: Verb.OpenEdit,
  upgrade: Verb.Upgrade,
  reset: Verb.Reset,
  stop: Verb.Stop,
};
