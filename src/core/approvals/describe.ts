/** What an approval request will change, before → after, in words for the card. Never holds a secret. */
import type { OperationKind, Runtime } from '../../domain/runtime';
import { redactSecrets } from '../../domain/secrets';
import { unreachable } from '../../unreachable';
import type { ApprovalChange } from './model';

const LABELS: Record<string, string> = {
  type: 'Type',
  vmSize: 'VM size',
  idleTimeMinutes: 'Idle time (minutes)',
  identity: 'Identity',
  baseImage: 'Base image',
  computeInstanceName: 'Compute instance',
  customApplication: 'Custom application',
  environment: 'Environment',
  endpointName: 'Endpoint',
  deploymentName: 'Deployment',
  instanceType: 'Instance type',
  instanceCount: 'Instance count',
  description: 'Description',
  requirements: 'Requirements',
  saveOnly: 'Save only',
  toVersion: 'Image version',
};

export function describeChanges(
  kind: OperationKind,
  before: Runtime | undefined,
  input: Record<string, unknown>,
): ApprovalChange[] {
  const status = before?.status ?? 'none';
  switch (kind) {
    case 'reset':
      return [{ field: 'Runtime', before: status, after: 'deleted and recreated with the same environment' }];
    case 'stop':
      return [{ field: 'Runtime', before: status, after: 'deleted' }];
    case 'upgrade':
      return [
        { field: 'Image version', before: before?.imageVersion ?? 'unknown', after: text(input.toVersion) || 'latest' },
      ];
    case 'install':
      return [
        {
          field: 'Requirements',
          before: (before?.packages ?? []).join('\n') || 'none',
          after: text(input.requirements),
        },
        { field: 'Install now', before: '', after: input.saveOnly ? 'no, save only' : 'yes' },
      ];
    case 'create':
    case 'update':
      return Object.entries(input)
        .filter(([, v]) => v !== undefined && v !== '')
        .map(([field, value]) => ({
          field: LABELS[field] ?? field,
          before: kind === 'create' ? '' : text((before as unknown as Record<string, unknown> | undefined)?.[field]),
          after: text(value),
        }));
    default:
      return unreachable(kind, 'operation kind');
  }
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') {
    const v = value as { mode?: string; name?: string; type?: string; resourceId?: string };
    if (v.mode) return v.name ? `${v.mode}: ${v.name}` : v.mode;
    if (v.type) return v.resourceId ? `managed identity ${v.resourceId.split('/').pop()}` : 'the user';
    return JSON.stringify(value);
  }
  return redactSecrets(String(value)).slice(0, 2000);
}
