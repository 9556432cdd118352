/**
 * View models: what a command answers, independent of the channel. The Teams edge renders them as
 * markdown or Adaptive Cards; another channel renders them its own way.
 */
import type { Operation, Runtime, VersionCheck, VersionsReport } from '../domain/runtime';

export interface CommandHelp {
  name: string;
  aliases: string[];
  summary: string;
  usage: string;
  examples: string[];
}

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

export type Reply =
  | { kind: 'text'; text: string }
  | { kind: 'error'; text: string; usage?: string }
  | { kind: 'help'; commands: CommandHelp[]; command?: CommandHelp }
  | { kind: 'runtimeList'; runtimes: Runtime[]; page: number; pages: number; total: number; filter?: string }
  | { kind: 'runtimeDetail'; runtime: Runtime }
  | { kind: 'summary'; summary: OnCallSummary }
  | { kind: 'versions'; report: VersionsReport }
  | { kind: 'versionCheck'; check: VersionCheck }
  /** A change was accepted; the edge tracks it and updates this message until it ends. */
  | { kind: 'operation'; operation: Operation; title: string };
