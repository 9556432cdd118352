/** What a request will change, before → after, for the approval card; never a secret. */
import { describe, expect, it } from 'vitest';
import { describeChanges } from '../../../src/core/approvals/describe';
import type { Runtime } from '../../../src/domain/runtime';

const chatDev: Runtime = {
  name: 'chat-dev',
  type: 'automatic',
  status: 'Running',
  outdated: false,
  owner: { objectId: 'u-alex' },
  createdOn: '2026-01-01T00:00:00Z',
  modifiedOn: '2026-01-01T00:00:00Z',
  vmSize: 'Standard_E4ds_v4',
  idleTimeMinutes: 240,
  imageVersion: '20251211.v2',
  packages: ['openai>=1.30', 'tiktoken'],
} as Runtime;

describe('describeChanges', () => {
  it('should say a reset and a stop in words, from the runtime’s status', () => {
    expect(describeChanges('reset', chatDev, {})).toEqual([
      { field: 'Runtime', before: 'Running', after: 'deleted and recreated with the same environment' },
    ]);
    expect(describeChanges('stop', chatDev, {})).toEqual([{ field: 'Runtime', before: 'Running', after: 'deleted' }]);
  });

  it('should show an edit field by field with labels, before and after', () => {
    expect(describeChanges('update', chatDev, { idleTimeMinutes: 60, environment: { mode: 'default' } })).toEqual([
      { field: 'Idle time (minutes)', before: '240', after: '60' },
      { field: 'Environment', before: '', after: 'default' },
    ]);
  });

  it('should show a create with nothing before, and a managed identity by its name', () => {
    const identity = { type: 'userAssigned', resourceId: '/subscriptions/s/resourceGroups/rg/providers/x/mi-flows' };
    expect(describeChanges('create', undefined, { type: 'automatic', identity })).toEqual([
      { field: 'Type', before: '', after: 'automatic' },
      { field: 'Identity', before: '', after: 'managed identity mi-flows' },
    ]);
  });

  it('should show the requirements to install without the token of a private feed', () => {
    const requirements = '--extra-index-url https://build:s3cr3t-t0ken@pkgs.example.com/simple\nnumpy';
    const [lines, now] = describeChanges('install', chatDev, { requirements, saveOnly: true });
    expect(lines).toMatchObject({ field: 'Requirements', before: 'openai>=1.30\ntiktoken' });
    expect(lines.after).toContain('pkgs.example.com/simple');
    expect(lines.after).not.toContain('s3cr3t-t0ken');
    expect(now).toEqual({ field: 'Install now', before: '', after: 'no, save only' });
  });

  it('should show an upgrade to the latest image', () => {
    expect(describeChanges('upgrade', chatDev, {})).toEqual([
      { field: 'Image version', before: '20251211.v2', after: 'latest' },
    ]);
  });
});
