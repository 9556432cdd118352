/**
 * View models: what a command answers, independent of the channel. Sentences are structured text
 * (text.ts), never markup. The Teams edge renders them as markdown or Adaptive Cards; another
 * channel renders them its own way.
 */
import type { Operation, OperationKind, Runtime, RuntimeType, VersionCheck, VersionsReport } from '../domain/runtime';
import type { ApprovalRecord, ApprovalViewer } from './approvals/model';
import type { AuditEntry } from './audit/auditLog';
import type { OnCallSummary } from '../domain/summary';
import type { RetirementStatus } from './retirement/calendar';
import type { InventoryRow, NextStep } from './retirement/inventory';
import type { Text } from './text';

export type { OnCallSummary } from '../domain/summary';
export type { RetirementStatus } from './retirement/calendar';
export type { InventoryRow, NextStep } from './retirement/inventory';

export interface CommandHelp {
  name: string;
  aliases: string[];
  summary: string;
  usage: string;
  examples: string[];
}

/** A proactive notice about one runtime: it failed, or it is about to stop or has stopped when idle. */
export interface RuntimeAlert {
  kind: 'failure' | 'idleWarning' | 'idleStopped';
  runtime: string;
  /** When it happened, or for a warning when the shutdown will happen (ISO). */
  at: string;
  reason?: string;
  by?: string;
  operationKind?: OperationKind;
  /** Buttons offered; each goes through the same rules (and approvals) as in any other card. */
  actions: ('view' | 'retry' | 'reset')[];
}

/** A form's state: what the user typed (kept on errors), field errors, and the choices offered. */
export interface FormState {
  values: Record<string, string>;
  errors: Record<string, string>;
  /** A message above the form (e.g. the service's summary of what is wrong). */
  message?: string;
}

export interface CreateFormView extends FormState {
  type: RuntimeType;
  vmSizes: { name: string; title: string }[];
  /** Only the instances the user owns or is assigned. */
  computeInstances: { name: string; title: string; applications: string[] }[];
  environments: string[];
  identities: { name: string; resourceId: string }[];
}

export interface InstallFormView extends FormState {
  runtimeName: string;
  /** Notes from a pasted flow.dag.yaml (image, requirements file). */
  notes: string[];
}

export interface EditFormView extends FormState {
  runtime: Runtime;
  vmSizes: { name: string; title: string }[];
  environments: string[];
}

export type Reply =
  | { kind: 'text'; text: Text }
  | { kind: 'error'; text: Text; usage?: string }
  /** `retirement`: the one line about prompt flow's retirement. */
  | { kind: 'help'; commands: CommandHelp[]; command?: CommandHelp; retirement?: RetirementStatus }
  | {
      kind: 'runtimeList';
      runtimes: Runtime[];
      page: number;
      pages: number;
      total: number;
      filter?: string;
      status?: string;
      type?: string;
    }
  /** `actions`: what the viewer may do to this runtime, so cards show only those buttons. */
  | { kind: 'runtimeDetail'; runtime: Runtime; actions: OperationKind[] }
  /** `title`: the daily digest shows the summary under its own title; `retirement`: days left and runtimes. */
  | { kind: 'summary'; summary: OnCallSummary; title?: string; retirement?: RetirementStatus }
  /** `notice`: a proactive new-version report rather than an answer to `versions`; `retirement`: images frozen. */
  | {
      kind: 'versions';
      report: VersionsReport;
      canUpgrade: boolean;
      notice?: { tag: string; previousLatest?: string };
      retirement?: RetirementStatus;
    }
  | { kind: 'alert'; alert: RuntimeAlert }
  | { kind: 'versionCheck'; check: VersionCheck; retirement?: RetirementStatus }
  /** A change was accepted; the edge tracks it and updates this message until it ends. */
  | { kind: 'operation'; operation: Operation; title: string }
  | { kind: 'welcome'; retirement?: RetirementStatus }
  /** The retirement inventory, one page; `stoppable`: the shown runtimes this viewer may stop. */
  | {
      kind: 'retirement';
      retirement: RetirementStatus;
      rows: InventoryRow[];
      steps: Record<NextStep, number>;
      stoppable: string[];
      page: number;
      pages: number;
      total: number;
    }
  /** `retirement --export`: one page of JSON lines, one runtime a line. */
  | { kind: 'retirementExport'; lines: string[]; page: number; pages: number; total: number }
  /** The notice 90, 30, 7 and 1 days before the retirement. */
  | { kind: 'retirementNotice'; retirement: RetirementStatus }
  /** An approval request, as one viewer sees it (an empty viewer id: the card everyone sees). */
  | {
      kind: 'approval';
      approval: Omit<ApprovalRecord, 'sealed'>;
      viewer: ApprovalViewer;
      approvers: { objectId: string; name?: string }[];
      /** Channel user ids of the people who see their own view of it (approvers and requester). */
      personalViewUserIds?: string[];
      notice?: Text;
    }
  | { kind: 'approvals'; pending: Omit<ApprovalRecord, 'sealed'>[] }
  | { kind: 'audit'; entries: AuditEntry[]; runtime?: string; export?: string }
  | {
      kind: 'roles';
      people: { objectId: string; name?: string; roles: string[] }[];
      notice?: Text;
      policySource?: string;
    }
  | { kind: 'createForm'; form: CreateFormView }
  | { kind: 'installForm'; form: InstallFormView }
  | { kind: 'editForm'; form: EditFormView };
