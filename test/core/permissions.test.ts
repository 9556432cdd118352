/** Who may do what: the operations a runtime's state allows, and with a policy, only for requesters. */
import { afterEach, describe, expect, it } from 'vitest';
import { applicableActions, openPermissions } from '../../src/core/permissions';
import type { Runtime } from '../../src/domain/runtime';
import { type Core, POLICY, startCore, USERS } from '../helpers/coreHarness';

const runtime = (over: Partial<Runtime>): Pick<Runtime, 'name' | 'type' | 'status' | 'outdated'> => ({
  name: 'rt',
  type: 'automatic',
  status: 'Running',
  outdated: false,
  ...over,
});

describe('applicableActions', () => {
  it('should offer a running compute session everything but an upgrade it does not need', () => {
    expect(applicableActions(runtime({})).sort()).toEqual(['install', 'reset', 'stop', 'update']);
  });

  it('should offer an upgrade only to an outdated runtime that is available', () => {
    expect(applicableActions(runtime({ outdated: true }))).toContain('upgrade');
    expect(applicableActions(runtime({ outdated: true, status: 'Unavailable' }))).not.toContain('upgrade');
  });

  it('should not install into a compute instance, nor reset a deployment or an unavailable runtime', () => {
    expect(applicableActions(runtime({ type: 'computeInstance' }))).not.toContain('install');
    expect(applicableActions(runtime({ type: 'managedOnlineDeployment' }))).not.toContain('reset');
    expect(applicableActions(runtime({ status: 'Unavailable' })).sort()).toEqual(['install', 'stop', 'update']);
  });

  it('should never offer create on a runtime that exists', () => {
    expect(applicableActions(runtime({ outdated: true }))).not.toContain('create');
  });
});

describe('permissions', () => {
  let core: Core | undefined;
  afterEach(() => core?.close());

  it('should give everyone the applicable actions without a policy', async () => {
    expect(await openPermissions.actionsFor(USERS.isaiah, runtime({}))).toEqual(applicableActions(runtime({})));
    core = await startCore();
    expect(await core.deps.permissions.actionsFor(USERS.isaiah, runtime({}))).toEqual(applicableActions(runtime({})));
  });

  it('should give requesters the applicable actions and viewers none under a policy', async () => {
    core = await startCore({ policy: POLICY });
    const { permissions } = core.deps;
    expect(await permissions.actionsFor(USERS.megan, runtime({}))).toEqual(applicableActions(runtime({})));
    expect(await permissions.actionsFor(USERS.alex, runtime({}))).toEqual(applicableActions(runtime({})));
    expect(await permissions.actionsFor(USERS.isaiah, runtime({}))).toEqual([]);
  });

  it('should match the object id whatever its case', async () => {
    const listed = 'ABCDEF01-0000-0000-0000-0000000000AB';
    core = await startCore({ policy: POLICY.replace(USERS.alex.id, listed) });
    const user = { id: listed.toLowerCase(), name: 'Alex Wilber' };
    expect(await core.deps.permissions.actionsFor(user, runtime({}))).toEqual(applicableActions(runtime({})));
    expect(await core.deps.permissions.actionsFor(USERS.alex, runtime({}))).toEqual([]);
  });
});
