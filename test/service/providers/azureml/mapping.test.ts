/**
 * The mapping between the prompt flow API's shapes and the service's records, as tables: statuses
 * (unknown ones pass through), types, image tags, environments, request bodies, and the merge that
 * keeps what only the service knows. Also the requirement lines that keep feed tokens out of storage.
 */
import { describe, expect, it } from 'vitest';
import type { RuntimeRecord } from '../../../../src/service/model';
import {
  createRuntimeRequest,
  environmentChoice,
  imageVersionOf,
  describeStatus,
  progressOf,
  recordFromDto,
  sessionPatch,
  sessionSettings,
  typeFromApi,
  updateRuntimeRequest,
} from '../../../../src/service/providers/azureml/mapping';
import { PendingRequirements, requirementLines } from '../../../../src/service/providers/azureml/pendingRequirements';

const NOW = '2026-01-01T00:00:00.000Z';

describe('azureml mapping', () => {
  it.each([
    ['Starting', 'busy'],
    ['Stopping', 'busy'],
    ['InProgress', 'busy'],
    ['Failed', 'failed'],
    ['NotExist', 'gone'],
    ['Unavailable', 'unavailable'],
    ['Hibernating', 'other'],
    [null, 'ready'],
    [undefined, 'ready'],
  ])('should read status %s as %s', (status, progress) => {
    expect(progressOf(status)).toBe(progress);
  });

  it.each([
    ['ComputeInstance', 'computeInstance'],
    ['ManagedOnlineEndpoint', 'managedOnlineDeployment'],
    ['TrainingSession', 'automatic'],
    ['Local', undefined],
    ['SomethingNew', undefined],
    [null, undefined],
  ])('should map runtimeType %s to %s', (api, ours) => {
    expect(typeFromApi(api)).toBe(ours);
  });

  it.each([
    ['mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable:20240429.v8', '20240429.v8'],
    ['mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable:20240429.v10@sha256:abc', '20240429.v10'],
    ['mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable:latest', undefined],
    ['myregistry.azurecr.io:5000/custom', undefined],
    [null, undefined],
  ])('should read the image version of %s as %s', (image, tag) => {
    expect(imageVersionOf(image)).toBe(tag);
  });

  it.each([
    [undefined, { mode: 'default' }],
    ['azureml://registries/azureml/environments/promptflow-runtime/versions/5', { mode: 'default' }],
    ['azureml:my-env:3', { mode: 'customized', name: 'azureml:my-env:3' }],
  ])('should read environment %s as %j', (env, choice) => {
    expect(environmentChoice(env)).toEqual(choice);
  });

  it('should make a record of an unknown runtime, status and all, as it comes', () => {
    const record = recordFromDto(
      {
        runtimeName: 'from-studio',
        runtimeType: 'ComputeInstance',
        status: 'Hibernating',
        statusMessage: 'zzz',
        computeInstanceName: 'ci-x',
        customAppName: 'app',
        fromExistingCustomApp: true,
        dockerImage: 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable:20240429.v8',
        owner: { userObjectId: 'oid-1', userName: 'Megan' },
        createdOn: '2025-12-01T00:00:00Z',
        modifiedOn: '2025-12-02T00:00:00Z',
        error: { error: { code: 'UserError', message: 'token https://u:p4ss@x.example.com leaked' } },
      },
      NOW,
    );
    expect(record).toEqual({
      name: 'from-studio',
      type: 'computeInstance',
      status: 'Hibernating',
      statusMessage: 'zzz',
      owner: { objectId: 'oid-1', name: 'Megan' },
      createdOn: '2025-12-01T00:00:00Z',
      modifiedOn: '2025-12-02T00:00:00Z',
      imageVersion: '20240429.v8',
      computeInstanceName: 'ci-x',
      customApplication: { mode: 'existing', name: 'app' },
      environment: { mode: 'default' },
      error: { code: 'UserError', message: 'token https://***@x.example.com leaked' },
    });
  });

  it('should show a runtime with no status, which is how Azure reports a healthy one, as Running', () => {
    for (const status of [null, undefined, '']) {
      const record = recordFromDto({ runtimeName: 'rt-one', runtimeType: 'ComputeInstance', status }, NOW);
      expect(record?.status).toBe('Running');
    }
    expect(describeStatus({ status: null })).toBe('Running');
    expect(describeStatus({ status: 'Unavailable', statusMessage: 'Compute instance ci is Stopped.\n' })).toBe(
      'Unavailable (Compute instance ci is Stopped.)',
    );
  });

  it('should build a PUT with the fields the runtime has, and the change on top', () => {
    const current = { runtimeDescription: 'Made in the studio', environment: 'azureml:env:3', instanceCount: 2 };
    expect(updateRuntimeRequest(current)).toEqual({
      runtimeDescription: 'Made in the studio',
      environment: 'azureml:env:3',
      instanceCount: 2,
    });
    expect(updateRuntimeRequest(current, { instanceCount: 3, description: 'Serves the demo' })).toEqual({
      runtimeDescription: 'Serves the demo',
      environment: 'azureml:env:3',
      instanceCount: 3,
    });
    // Nothing is sent for what the runtime does not have: no null, no empty string.
    expect(updateRuntimeRequest({ runtimeDescription: null, environment: null })).toEqual({});
  });

  it('should not make records of what the service cannot address', () => {
    expect(recordFromDto({ runtimeName: '9f3a0c', runtimeType: 'ComputeInstance' }, NOW)).toBeUndefined();
    expect(recordFromDto({ runtimeName: 'local-one', runtimeType: 'Local' }, NOW)).toBeUndefined();
  });

  it('should keep what only the service knows when Azure changes a runtime, and drop what Azure cleared', () => {
    const existing: RuntimeRecord = {
      name: 'mir',
      type: 'managedOnlineDeployment',
      status: 'Failed',
      statusMessage: 'old trouble',
      owner: { objectId: 'me', name: 'Me' },
      createdOn: NOW,
      modifiedOn: NOW,
      instanceCount: 1,
      lastOperation: { id: 'op', kind: 'update', status: 'Failed', requestedBy: { objectId: 'me' }, createdOn: NOW },
    };
    const next = recordFromDto(
      {
        runtimeName: 'mir',
        runtimeType: 'ManagedOnlineEndpoint',
        status: 'Running',
        instanceCount: 2,
        endpointName: 'e',
      },
      NOW,
      existing,
    );
    expect(next).toMatchObject({ status: 'Running', instanceCount: 2, endpointName: 'e', owner: { name: 'Me' } });
    expect(next?.lastOperation?.id).toBe('op');
    expect(next).not.toHaveProperty('statusMessage');
  });

  it('should build request bodies with the documented fields only', () => {
    const base = { status: 'Starting', owner: { objectId: 'a' }, createdOn: NOW, modifiedOn: NOW } as const;
    expect(
      createRuntimeRequest({
        ...base,
        name: 'ci-rt',
        type: 'computeInstance',
        computeInstanceName: 'ci',
        customApplication: { mode: 'new', name: 'ci-rt-app' },
        environment: { mode: 'customized', name: 'azureml:env:1' },
        description: 'hello',
      }),
    ).toEqual({
      runtimeType: 'ComputeInstance',
      computeInstanceName: 'ci',
      fromExistingCustomApp: false,
      customAppName: 'ci-rt-app',
      instanceType: '',
      environment: 'azureml:env:1',
      runtimeDescription: 'hello',
    });
    expect(
      sessionSettings({
        ...base,
        name: 's',
        type: 'automatic',
        vmSize: 'Standard_E4ds_v4',
        idleTimeMinutes: 60,
        identity: { type: 'userAssigned', resourceId: '/subscriptions/x/id' },
      }),
    ).toEqual({ vmSize: 'Standard_E4ds_v4', maxIdleTimeSeconds: 3600, identity: '/subscriptions/x/id' });
  });

  it('should read session facts', () => {
    expect(
      sessionPatch({
        properties: {
          vmSize: 'Standard_E8ds_v4',
          maxIdleTimeSeconds: 7200,
          lastAliveTime: NOW,
          application: { image: 'mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable:20251211.v2' },
        },
        compute: { name: 'session-abc' },
      }),
    ).toEqual({
      vmSize: 'Standard_E8ds_v4',
      idleTimeMinutes: 120,
      computeName: 'session-abc',
      lastUsedOn: NOW,
      imageVersion: '20251211.v2',
    });
  });
});

describe('azureml requirement lines', () => {
  const text =
    '# deps\n-i https://user:tok3n@feed.example.com/simple\nrequests==2.32.3 \\\n  ; python_version > "3.8"\n\nnumpy\n';

  it('should keep feed tokens only in memory, for the operation that sends them', () => {
    const lines = requirementLines(text);
    expect(lines.raw).toEqual([
      '-i https://user:tok3n@feed.example.com/simple',
      'requests==2.32.3   ; python_version > "3.8"',
      'numpy',
    ]);
    expect(lines.redacted.join('\n')).not.toContain('tok3n');
    const pending = new PendingRequirements();
    pending.remember('install', 'rt', lines, 0);
    expect(pending.recall('install', 'rt', lines.redacted, 1000)).toEqual(lines.raw);
    expect(pending.recall('install', 'other', lines.redacted, 1000)).toBeUndefined();
    expect(pending.recall('install', 'rt', lines.redacted, 11 * 60_000)).toBeUndefined();
    const plain = requirementLines('requests\nnumpy');
    expect(pending.recall('create', 'rt', plain.redacted, 0)).toEqual(['requests', 'numpy']);
  });
});
