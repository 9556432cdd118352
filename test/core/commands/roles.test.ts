/** `roles`: who holds which role; only owners grant and revoke, and every refusal is audited. */
import { afterEach, describe, expect, it } from 'vitest';
import { rolesCommand } from '../../../src/core/commands/roles';
import { as, type Core, only, POLICY, refusal, startCore, textOf, USERS } from '../../helpers/coreHarness';
import { markup } from '../../helpers/textMarkup';

let core: Core;
afterEach(() => core.close());

const rolesOf = (reply: Extract<import('../../../src/core/replies').Reply, { kind: 'roles' }>, id: string) =>
  reply.people.find((p) => p.objectId === id)?.roles ?? [];

describe('roles', () => {
  it('should list the people of the policy with their roles and the policy file', async () => {
    core = await startCore({ policy: POLICY });
    const reply = as(only(await core.command(rolesCommand, 'roles')), 'roles');
    expect(rolesOf(reply, USERS.megan.id)).toEqual(['owner']);
    expect(rolesOf(reply, USERS.alex.id)).toEqual(['dataScientist']);
    expect(reply.policySource).toBe('policy.yaml');
  });

  it('should let an owner grant a role, which then counts', async () => {
    core = await startCore({ policy: POLICY });
    const reply = as(
      only(await core.command(rolesCommand, `roles grant ${USERS.isaiah.id} dataScientist`, { who: 'megan' })),
      'roles',
    );
    expect(markup(reply.notice ?? [])).toContain('Granted dataScientist to');
    expect(rolesOf(reply, USERS.isaiah.id)).toEqual(['dataScientist']);
    expect(await core.deps.policy.hasRole(USERS.isaiah.id, 'dataScientist')).toBe(true);
    expect((await core.auditEntries()).at(-1)).toMatchObject({
      action: 'grant',
      details: { objectId: USERS.isaiah.id, role: 'dataScientist' },
    });
  });

  it('should refuse a grant by someone who is not an owner, and audit the denial', async () => {
    core = await startCore({ policy: POLICY });
    const reply = as(only(await core.command(rolesCommand, `roles grant ${USERS.alex.id} owner`)), 'error');
    expect(textOf(reply)).toBe('Only owners can grant or revoke roles.');
    expect(await core.deps.policy.hasRole(USERS.alex.id, 'owner')).toBe(false);
    expect((await core.auditEntries()).map((e) => e.action)).toEqual(['deny']);
  });

  it('should refuse an unknown role, an unknown verb and an id that is not an object id', async () => {
    core = await startCore({ policy: POLICY });
    const megan = { who: 'megan' as const };
    expect((await refusal(core.command(rolesCommand, `roles grant ${USERS.isaiah.id} admin`, megan))).message).toMatch(
      /^Unknown role .admin.: use owner, dataScientist, viewer\.$/,
    );
    expect((await refusal(core.command(rolesCommand, 'roles promote x owner', megan))).message).toContain(
      'use grant or revoke',
    );
    expect((await refusal(core.command(rolesCommand, 'roles grant a/b viewer', megan))).message).toContain(
      'is not an Entra object id',
    );
  });

  it('should say there are no roles to grant without a policy', async () => {
    core = await startCore();
    const reply = as(only(await core.command(rolesCommand, `roles grant ${USERS.isaiah.id} viewer`)), 'error');
    expect(textOf(reply)).toContain('No policy is configured');
  });
});
