/**
 * Renders the core's replies as Teams markdown. User-supplied text (names, descriptions, pip
 * output) is escaped so that it cannot turn into links, mentions or formatting.
 */

import type { OnCallSummary, Reply, RetirementStatus } from '../../../core/replies';
import { alertHeadline, alertTitle } from '../../../core/notifications/alertText';
import {
  afterRetirement,
  imagesLine,
  longDate,
  retirementHeadline,
  retirementOneLiner,
  runtimesLeft,
  WHAT_HAPPENS,
} from '../../../core/retirement/retirementText';
import { escapeMarkdown, markdownOf } from './text';
import type { Operation, Runtime } from '../../../domain/runtime';
import { unreachable } from '../../../unreachable';

export function toMarkdown(reply: Reply): string {
  switch (reply.kind) {
    case 'text':
      return markdownOf(reply.text);
    case 'error':
      return reply.usage ? `${markdownOf(reply.text)}\n\nUsage:\n\n${codeBlock(reply.usage)}` : markdownOf(reply.text);
    case 'help':
      if (reply.command) {
        const c = reply.command;
        const aka = c.aliases.length ? ` (also ${c.aliases.map((a) => `\`${a}\``).join(', ')})` : '';
        return `**${c.name}**${aka}: ${c.summary}\n\n${codeBlock(c.usage)}\n\nExamples:\n\n${c.examples.map((e) => `- \`${e.replace(/\n/g, ' ⏎ ')}\``).join('\n')}`;
      }
      return `Here is what I can do. Every command also works as \`runtime <command>\` or \`session <command>\`.${reply.retirement ? `\n\n**${retirementOneLiner(reply.retirement)}**` : ''}\n\n${reply.commands
        .map((c) => `- **${c.name}**: ${c.summary}`)
        .join('\n')}\n\nSay \`help <command>\` for details.`;
    case 'runtimeList':
      return runtimeList(reply);
    case 'runtimeDetail':
      return runtimeDetail(reply.runtime);
    case 'summary':
      return summary(reply.summary, reply.retirement);
    case 'versions': {
      const r = reply.report;
      const head = reply.notice ? `**New base image ${reply.notice.tag}**\n\n` : '';
      const lines = r.outdated.map(
        (o) => `- **${esc(o.name)}** on ${o.imageVersion ?? 'unknown'} (${o.newer.length} newer)`,
      );
      const frozen = reply.retirement ? `${imagesLine(reply.retirement)}\n\n` : '';
      return `${head}Latest base image: **${r.latest ?? 'unknown'}** (${esc(r.repository)})\n\n${frozen}${lines.length ? `Outdated runtimes:\n${lines.join('\n')}\n\nSay \`upgrade <name>\` to move one to ${r.latest}.` : 'Every runtime is up to date.'}`;
    }
    case 'versionCheck': {
      const frozen = reply.retirement ? `\n\n${imagesLine(reply.retirement)}` : '';
      return `${versionCheck(reply.check)}${frozen}`;
    }
    case 'operation':
      return operation(reply.operation, reply.title);
    case 'alert': {
      const a = reply.alert;
      const reason = a.reason ? `\n\n${codeBlock(a.reason)}` : '';
      return `**${alertTitle(a)}**: ${esc(alertHeadline(a, a.at))}${reason}`;
    }
    case 'welcome':
      return `Hi! I manage prompt flow runtimes from chat. Say \`status\` for the on-call summary, \`list\` for every runtime, or \`help\` for all I can do.${reply.retirement ? `\n\n**${retirementOneLiner(reply.retirement)}**` : ''}`;
    case 'retirement':
      return retirement(reply);
    case 'retirementExport':
      return reply.lines.length
        ? `Runtimes as JSON lines (${reply.total} in all${reply.pages > 1 ? `, page ${reply.page} of ${reply.pages}` : ''}):\n\n\`\`\`\n${reply.lines.join('\n').replace(/```/g, "'''")}\n\`\`\`${reply.page < reply.pages ? `\n\nSay \`retirement --export --page ${reply.page + 1}\` for the next ${reply.lines.length}.` : ''}`
        : 'There are no runtimes to export.';
    case 'retirementNotice': {
      const r = reply.retirement;
      const when = r.daysLeft === 1 ? 'tomorrow' : `in ${r.daysLeft} days`;
      return `**Prompt flow retires ${when}**, on ${longDate(r.retiresOn)}. ${runtimesLeft(r) ?? ''}\n\n${WHAT_HAPPENS}\n\nSay \`retirement\` for every runtime and its next step.`;
    }
    case 'approval':
      return approval(reply);
    case 'approvals':
      return reply.pending.length
        ? `**Pending approvals**\n\n${reply.pending
            .map(
              (a) =>
                `- \`${a.id}\` ${a.kind} **${esc(a.runtimeName)}** by ${esc(a.requester.name ?? a.requester.objectId)} · ${a.votes.length}/${a.approvalsRequired} approvals · expires ${a.expiresAt}`,
            )
            .join('\n')}\n\nSay \`approve <id>\`, \`reject <id> <reason>\` or \`cancel <id>\`.`
        : 'No approval requests are pending.';
    case 'audit':
      if (reply.export !== undefined)
        return reply.export
          ? `Audit trail as JSON lines:\n\n\`\`\`\n${reply.export}\n\`\`\``
          : 'The audit trail is empty.';
      return reply.entries.length
        ? `**Audit trail${reply.runtime ? ` of ${esc(reply.runtime)}` : ''}** (newest first)\n\n${reply.entries
            .map(
              (e) =>
                `- ${e.at} · ${esc(e.actor.name ?? e.actor.id)} · **${e.action}**${e.kind ? ` ${e.kind}` : ''}${e.runtime ? ` ${esc(e.runtime)}` : ''}${e.approvalId ? ` · request \`${e.approvalId}\`` : ''}${e.details?.reason ? ` · ${esc(String(e.details.reason))}` : ''}`,
            )
            .join('\n')}`
        : `Nothing in the audit trail${reply.runtime ? ` for ${esc(reply.runtime)}` : ''} yet.`;
    case 'roles': {
      const rows = reply.people.map(
        (p) => `- ${esc(p.name ?? p.objectId)} (\`${p.objectId}\`): ${p.roles.join(', ') || 'no role'}`,
      );
      const head = reply.notice ? `${markdownOf(reply.notice)}\n\n` : '';
      return `${head}**Roles**${reply.policySource ? ` (policy ${esc(reply.policySource)} plus grants from chat)` : ''}\n\n${rows.join('\n') || 'No policy is configured: everyone may manage runtimes, without approvals.'}`;
    }
    case 'createForm':
    case 'installForm':
    case 'editForm':
      return 'This form needs a client that shows Adaptive Cards; use the command with flags instead (say `help`).';
    default:
      return unreachable(reply, 'reply kind');
  }
}

function approval(reply: Extract<Reply, { kind: 'approval' }>): string {
  const a = reply.approval;
  const changes = a.changes
    .map((c) => `- **${esc(c.field)}**: ${c.before ? `${esc(c.before)} → ` : ''}${esc(c.after)}`)
    .join('\n');
  const votes = a.votes.length ? `\n\nApproved by ${a.votes.map((v) => esc(v.name ?? v.objectId)).join(', ')}` : '';
  const rejected = a.rejection
    ? `\n\nRejected by ${esc(a.rejection.by.name ?? a.rejection.by.objectId)}: ${esc(a.rejection.reason)}`
    : '';
  return `${reply.notice ? `${markdownOf(reply.notice)}\n\n` : ''}**Approval \`${a.id}\`: ${a.kind} ${esc(a.runtimeName)}** · ${a.status}\n\nRequested by ${esc(a.requester.name ?? a.requester.objectId)}; needs ${a.approvalsRequired} approval(s) from the ${a.approverRole} role by ${a.expiresAt}.\n\n${changes}${votes}${rejected}`;
}

function runtimeList(reply: Extract<Reply, { kind: 'runtimeList' }>): string {
  if (reply.total === 0)
    return reply.filter
      ? `No runtimes match ${reply.filter}.`
      : 'There are no runtimes yet. Say `help create` to make one.';
  const rows = reply.runtimes.map(
    (r) =>
      `- **${esc(r.name)}** · ${r.status}${r.outdated ? ' · outdated' : ''} · ${typeLabel(r)} · ${esc(r.owner.name ?? r.owner.objectId)}`,
  );
  const more =
    reply.pages > 1
      ? `\n\nPage ${reply.page} of ${reply.pages}.${reply.page < reply.pages ? ` Say \`list --page ${reply.page + 1}\` for more.` : ''}`
      : '';
  return `${reply.total} runtime${reply.total === 1 ? '' : 's'}${reply.filter ? ` (${reply.filter})` : ''}:\n\n${rows.join('\n')}${more}`;
}

function runtimeDetail(r: Runtime): string {
  const rows: [string, string | undefined][] = [
    ['Status', `${r.status}${r.statusMessage ? ` (${esc(r.statusMessage)})` : ''}`],
    ['Type', typeLabel(r)],
    [
      'Image version',
      r.imageVersion
        ? `${r.imageVersion}${r.outdated ? ` · outdated, latest is ${r.latestVersion}` : ''}`
        : 'custom image',
    ],
    ['VM size', r.vmSize ?? r.instanceType],
    [
      'Idle shutdown',
      r.idleTimeMinutes
        ? `after ${r.idleTimeMinutes} min${r.idleShutdownAt ? `, next at ${r.idleShutdownAt}` : ''}`
        : undefined,
    ],
    ['Compute instance', r.computeInstanceName],
    [
      'Custom application',
      r.customApplication ? `${esc(r.customApplication.name)} (${r.customApplication.mode})` : undefined,
    ],
    [
      'Environment',
      r.environment ? (r.environment.mode === 'default' ? 'default' : esc(r.environment.name)) : undefined,
    ],
    [
      'Endpoint',
      r.endpointName ? `${esc(r.endpointName)} / ${esc(r.deploymentName ?? '')} × ${r.instanceCount ?? 1}` : undefined,
    ],
    [
      'Packages',
      r.packages?.length
        ? `${r.packages.map((p) => `\`${p}\``).join(', ')}${r.packagesInstalled ? '' : ' (not installed)'}`
        : undefined,
    ],
    ['Owner', esc(r.owner.name ?? r.owner.objectId)],
    [
      'Last operation',
      r.lastOperation
        ? `${r.lastOperation.kind} ${r.lastOperation.status.toLowerCase()} ${r.lastOperation.endedOn ?? ''}`
        : undefined,
    ],
    [
      'In progress',
      r.activeOperation
        ? `${r.activeOperation.kind} by ${esc(r.activeOperation.requestedBy.name ?? r.activeOperation.requestedBy.objectId)}`
        : undefined,
    ],
  ];
  const table = rows
    .filter(([, v]) => v)
    .map(([k, v]) => `- **${k}**: ${v}`)
    .join('\n');
  const error = r.error
    ? `\n\n**Error**: ${esc(r.error.message)}${r.error.details ? `\n\n${codeBlock(r.error.details.slice(0, 1500))}` : ''}`
    : '';
  return `**${esc(r.name)}**${r.description ? `: ${esc(r.description)}` : ''}\n\n${table}${error}`;
}

function versionCheck(c: Extract<Reply, { kind: 'versionCheck' }>['check']): string {
  if (!c.imageVersion) return `**${esc(c.name)}** uses a custom base image, so I can't compare versions.`;
  if (!c.outdated) return `**${esc(c.name)}** runs ${c.imageVersion}, the latest version.`;
  const newer = c.newer.map((v) => `- ${v.tag}${v.notes ? `: ${esc(v.notes)}` : ''}`).join('\n');
  return `**${esc(c.name)}** runs ${c.imageVersion}; **${c.latestVersion}** is out. New since then:\n${newer}\n\nSay \`upgrade ${c.name}\` to move it.`;
}

function retirementLine(r: RetirementStatus | undefined): string {
  if (!r) return '';
  const head = [retirementHeadline(r), runtimesLeft(r)].filter(Boolean).join(' ');
  if (r.phase !== 'retired') return `\n\n**${head}** Say \`retirement\` for each runtime's next step.`;
  const { works, gone } = afterRetirement();
  return `\n\n**${head}** ${works} ${gone}`;
}

function retirement(reply: Extract<Reply, { kind: 'retirement' }>): string {
  const r = reply.retirement;
  const about = r.phase === 'retired' ? Object.values(afterRetirement()).join(' ') : WHAT_HAPPENS;
  const rows = reply.rows.map(
    (row) =>
      `- **${esc(row.name)}** · ${esc(row.status)} · ${typeLabel(row)} · ${esc(row.owner.name ?? row.owner.objectId)} · ${row.lastUsedOn ? `last used ${row.lastUsedOn}` : 'last use not recorded'} · idle ${row.idleDays} d: ${esc(row.advice)}`,
  );
  const paging =
    reply.pages > 1
      ? `\n\nPage ${reply.page} of ${reply.pages}.${reply.page < reply.pages ? ` Say \`retirement --page ${reply.page + 1}\` for more.` : ''}`
      : '';
  return `**${retirementHeadline(r)}** ${about}\n\n${reply.total} runtime${reply.total === 1 ? '' : 's'}, longest idle first:\n\n${rows.join('\n') || 'No runtime is left.'}${paging}`;
}

function summary(s: OnCallSummary, retirement?: RetirementStatus): string {
  const counts = Object.entries(s.byStatus)
    .map(([k, v]) => `${k} ${v}`)
    .join(' · ');
  const section = (title: string, lines: string[]) => (lines.length ? `\n\n**${title}**\n${lines.join('\n')}` : '');
  return (
    `**On-call summary**: ${s.total} runtimes · ${counts || 'none'}` +
    retirementLine(retirement) +
    section(
      'Failing',
      s.failing.map((f) => `- **${esc(f.name)}** (${f.status}): ${esc(f.reason)}`),
    ) +
    section(
      `Outdated (latest ${s.latestVersion ?? '?'})`,
      s.outdated.map((o) => `- **${esc(o.name)}** on ${o.imageVersion}`),
    ) +
    section(
      'Idle shutdown within the hour',
      s.idleSoon.map((i) => `- **${esc(i.name)}** at ${i.at}`),
    ) +
    section(
      'In progress',
      s.busy.map((b) => `- **${esc(b.name)}**: ${b.kind} by ${esc(b.by)}`),
    ) +
    section(
      'Changed in the last 24 hours',
      s.recent.map((r) => `- **${esc(r.name)}**: ${r.kind} ${r.status.toLowerCase()} by ${esc(r.by)} at ${r.at}`),
    ) +
    (s.failing.length + s.outdated.length + s.busy.length === 0
      ? '\n\nAll quiet: nothing failing, outdated or in progress.'
      : '')
  );
}

function operation(op: Operation, title: string): string {
  const icon = op.status === 'Succeeded' ? '✅' : op.status === 'Failed' ? '❌' : '⏳';
  const state = op.status === 'Succeeded' ? 'done' : op.status === 'Failed' ? 'failed' : 'in progress';
  const steps = op.steps
    .slice(1)
    .map((s) => `- ${s.message}`)
    .join('\n');
  const warnings = op.warnings.length ? `\n\n⚠️ ${op.warnings.map(esc).join('\n\n⚠️ ')}` : '';
  const error = op.error
    ? `\n\n**Why**: ${esc(op.error.message)}${op.error.details ? `\n\n${codeBlock(op.error.details.slice(0, 1500))}` : ''}`
    : '';
  return `${icon} **${esc(title)}**: ${state}${steps ? `\n\n${steps}` : ''}${error}${warnings}\n\nOperation \`${op.id}\``;
}

function typeLabel(r: Pick<Runtime, 'type'>): string {
  return (
    { automatic: 'compute session', computeInstance: 'compute instance', managedOnlineDeployment: 'online deployment' }[
      r.type
    ] ?? r.type
  );
}

/** Escapes markdown and HTML so user text stays text. */
export function esc(text: string): string {
  return escapeMarkdown(text).replace(/\r?\n/g, ' ');
}

function codeBlock(text: string): string {
  return `\`\`\`\n${text.replace(/```/g, "'''")}\n\`\`\``;
}
